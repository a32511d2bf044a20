/**
 * Two model families averaged: w * edRVFL + (1 - w) * oblivious boosting, with the weight w chosen
 * by inner cross-validation on the training rows only (the blend that wins there, edRVFL alone
 * included). The two families fail differently: edRVFL extrapolates smoothly,
 * sometimes far off for unusual compositions; boosting is piecewise constant and never leaves
 * the range of its training targets.
 *
 * The predictive spread is that of the two-component mixture:
 *   var = w sA^2 + (1 - w) sB^2 + w (1 - w) (mA - mB)^2,
 * so disagreement between the families counts as uncertainty.
 */
import { EdRVFLRegressor, type EdRVFLConfig, type EdRVFLJSON } from './edrvfl.js';
import { ObliviousBoostingRegressor, type ObliviousBoostingRegressorConfig, type ObliviousBoostingRegressorJSON } from './oblivious-boosting.js';
import type { FeatureMatrix } from './types.js';

/**
 * The candidate weights of edRVFL tried by inner cross-validation. Boosting alone (0) is not one:
 * a single boosted model has no spread of its own, and the blend's spread comes from edRVFL's
 * ensemble and the disagreement between the two.
 */
export const BLEND_WEIGHTS: readonly number[] = Object.freeze([0.25, 0.5, 0.75, 1]);

export interface BlendedRegressorJSON {
  kind: 'blended-regressor';
  /** Weight of edRVFL (1 = edRVFL alone, 0 = boosting alone). */
  weight: number;
  edrvfl: EdRVFLJSON | null;
  boosting: ObliviousBoostingRegressorJSON | null;
  /** Inner-CV mean absolute error per candidate weight (BLEND_WEIGHTS order), when chosen that way. */
  innerMae: number[] | null;
}

/**
 * The blend weight by cross-validated mean absolute error of w * a + (1 - w) * b against y over
 * `rows` (all rows when omitted), with the one-standard-error rule: among the candidates whose
 * error is within one paired standard error of the best one's, the most even blend (weight
 * closest to 1/2). On a few hundred alloys the candidates' errors differ by less than their noise,
 * and picking the lowest then mostly fits the folds; averaging two model families is the robust
 * default that the data have to argue against.
 */
export function chooseBlendWeight(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  y: ArrayLike<number>,
  rows?: ArrayLike<number>,
  weights: readonly number[] = BLEND_WEIGHTS,
): { weight: number; mae: number[] } {
  const n = rows ? rows.length : y.length;
  if (n === 0) throw new RangeError('no rows to choose a blend weight on');
  const errors = weights.map((w) => {
    const e = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const i = rows ? rows[k] : k;
      e[k] = Math.abs(y[i] - (w * a[i] + (1 - w) * b[i]));
    }
    return e;
  });
  const mae = errors.map((e) => e.reduce((s, v) => s + v, 0) / n);
  let best = 0;
  for (let q = 1; q < weights.length; q++) if (mae[q] < mae[best]) best = q;
  let chosen = best;
  for (let q = 0; q < weights.length; q++) {
    // Paired standard error of the mean difference in absolute error against the best candidate.
    let s2 = 0;
    for (let k = 0; k < n; k++) s2 += (errors[q][k] - errors[best][k] - (mae[q] - mae[best])) ** 2;
    const se = n > 1 ? Math.sqrt(s2 / (n - 1) / n) : 0;
    const even = (w: number) => Math.abs(w - 0.5);
    if (mae[q] - mae[best] <= se && (even(weights[q]) < even(weights[chosen]) || (even(weights[q]) === even(weights[chosen]) && mae[q] < mae[chosen]))) chosen = q;
  }
  return { weight: weights[chosen], mae };
}

/** Mixture mean and spread of two predictive distributions (see the file comment). */
export function blendPredictions(
  weight: number,
  a: { mean: Float64Array; std: Float64Array } | null,
  b: { mean: Float64Array; std: Float64Array } | null,
): { mean: Float64Array; std: Float64Array } {
  if (!a || weight >= 1) return a ?? b!;
  if (!b || weight <= 0) return b ?? a;
  const m = a.mean.length;
  const mean = new Float64Array(m);
  const std = new Float64Array(m);
  const w = weight;
  for (let i = 0; i < m; i++) {
    const d = a.mean[i] - b.mean[i];
    mean[i] = w * a.mean[i] + (1 - w) * b.mean[i];
    std[i] = Math.sqrt(w * a.std[i] * a.std[i] + (1 - w) * b.std[i] * b.std[i] + w * (1 - w) * d * d);
  }
  return { mean, std };
}

export class BlendedRegressor {
  private constructor(
    readonly weight: number,
    readonly edrvfl: EdRVFLRegressor | null,
    readonly boosting: ObliviousBoostingRegressor | null,
    readonly innerMae: readonly number[] | null,
  ) {}

  /**
   * Fit the members the weight needs: edRVFL on `Xa` (w > 0), boosting on `Xb` (w < 1). Rows of
   * Xa and Xb are the same alloys, possibly different feature columns.
   */
  static fit(
    Xa: FeatureMatrix,
    Xb: FeatureMatrix,
    y: ArrayLike<number>,
    opts: { weight: number; edrvfl: EdRVFLConfig; boosting: ObliviousBoostingRegressorConfig; innerMae?: readonly number[] | null },
  ): BlendedRegressor {
    const w = opts.weight;
    if (!(w >= 0 && w <= 1)) throw new RangeError('blend weight must be in [0, 1]');
    return new BlendedRegressor(
      w,
      w > 0 ? new EdRVFLRegressor(opts.edrvfl).fit(Xa, y) : null,
      w < 1 ? new ObliviousBoostingRegressor(opts.boosting).fit(Xb, y) : null,
      opts.innerMae ? [...opts.innerMae] : null,
    );
  }

  /** edRVFL reads `columnsA` of each row, boosting `columnsB` (undefined: every column). */
  predict(X: FeatureMatrix, columnsA?: ArrayLike<number>, columnsB?: ArrayLike<number>): { mean: Float64Array; std: Float64Array } {
    return blendPredictions(this.weight, this.edrvfl?.predict(X, columnsA) ?? null, this.boosting?.predict(X, columnsB) ?? null);
  }

  toJSON(): BlendedRegressorJSON {
    return {
      kind: 'blended-regressor',
      weight: this.weight,
      edrvfl: this.edrvfl?.toJSON() ?? null,
      boosting: this.boosting?.toJSON() ?? null,
      innerMae: this.innerMae ? [...this.innerMae] : null,
    };
  }

  /** Also reads a bare edRVFL (bundles saved before the blend): weight 1. */
  static fromJSON(json: BlendedRegressorJSON | EdRVFLJSON): BlendedRegressor {
    if (json.kind === 'edrvfl') return new BlendedRegressor(1, EdRVFLRegressor.fromJSON(json), null, null);
    if (json.kind !== 'blended-regressor') throw new Error(`not a blended regressor: ${(json as { kind: string }).kind}`);
    const edrvfl = json.edrvfl ? EdRVFLRegressor.fromJSON(json.edrvfl) : null;
    const boosting = json.boosting ? ObliviousBoostingRegressor.fromJSON(json.boosting) : null;
    if ((json.weight > 0 && !edrvfl) || (json.weight < 1 && !boosting)) throw new Error('blended regressor JSON lacks a member its weight needs');
    return new BlendedRegressor(json.weight, edrvfl, boosting, json.innerMae);
  }
}
