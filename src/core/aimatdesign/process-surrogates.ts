/**
 * Surrogates that take process values as inputs (issue 16): the campaign's composition surrogates
 * see the composition part of a state; a linear model on the process features (process.ts:
 * scaled continuous values, one-hot categories) corrects their output, fitted on what the lab
 * measured:
 *
 *   logit P(glass | x, process) = logit P(glass | x) + w_glass · (f(process) - f̄)
 *   property(x, process)        = property(x)        + w_q · (f(process) - f̄)
 *
 * w_glass by ridge-penalised logistic regression with the composition model's logit as offset,
 * w_q by ridge regression on the residuals (measured - predicted), f̄ the training rows' mean
 * features. Rows without process values (seed data) read as the defaults, so while every row has
 * the same process the correction is zero and the composition surrogates answer alone; the lab's
 * results under other process values teach it how much the process matters.
 *
 * Plain TypeScript (no NestJS, no I/O).
 */
import { cholesky, solveLower, solveUpperTransposed } from '../bo/cholesky.js';
import { propertyValue } from '../domain/objectives.js';
import { processFeatureNames, processFeatures, withProcessDefaults, decodeProcess, type ProcessVariable } from '../domain/process.js';
import type { DesignSpace } from '../domain/design-space.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import { toFractions, usesOnlyElements } from '../domain/composition-grid.js';
import type { SurrogatePredictions, Surrogates } from '../domain/predictions.js';

/** Ridge penalty of the correction's weights (the features are in [0, 1]). */
export const PROCESS_RIDGE = 1;
const NEWTON_ITERATIONS = 12;

export interface ProcessCorrection {
  featureNames: string[];
  mean: Float64Array;
  glass: Float64Array;
  /** Per property (yieldStrengthMPa, elongationPct, other modelled ones): weights. */
  properties: Record<string, Float64Array>;
  rows: number;
}

/** Fits the correction of `base` on the measured alloys of the space (see the header). */
export function fitProcessCorrection(base: Surrogates, measured: readonly MeasuredAlloy[], space: DesignSpace): ProcessCorrection {
  const variables = space.process ?? [];
  const names = processFeatureNames(variables);
  const d = names.length;
  const rows = measured.filter((a) => usesOnlyElements(a.composition, space.elements));
  const X = rows.map((a) => Float64Array.from(processFeatures(withProcessDefaults(a.process, variables), variables)));
  const mean = new Float64Array(d);
  for (const f of X) for (let k = 0; k < d; k++) mean[k] += f[k] / Math.max(1, X.length);
  const Z = X.map((f) => f.map((v, k) => v - mean[k]));
  const correction: ProcessCorrection = { featureNames: names, mean, glass: new Float64Array(d), properties: {}, rows: rows.length };
  if (rows.length === 0 || d === 0) return correction;
  const pred = base.predictFractions(rows.map((a) => toFractions(a.composition, space.elements)));

  // P(glass): logistic regression with the composition model's logit as offset (Newton / IRLS).
  const labelled = rows.map((a, i) => ({ i, y: a.isGlass })).filter((r): r is { i: number; y: boolean } => r.y !== null);
  if (labelled.length > 0) {
    const w = new Float64Array(d);
    for (let it = 0; it < NEWTON_ITERATIONS; it++) {
      const H = new Float64Array(d * d);
      const g = new Float64Array(d);
      for (const { i, y } of labelled) {
        const z = Z[i];
        const p = logistic(logit(pred.pGlass[i]) + dot(w, z));
        const r = (y ? 1 : 0) - p;
        const s = Math.max(p * (1 - p), 1e-6);
        for (let a = 0; a < d; a++) {
          g[a] += r * z[a];
          for (let b = 0; b < d; b++) H[a * d + b] += s * z[a] * z[b];
        }
      }
      for (let a = 0; a < d; a++) {
        g[a] -= PROCESS_RIDGE * w[a];
        H[a * d + a] += PROCESS_RIDGE;
      }
      const step = solve(H, g, d);
      if (!step) break;
      let size = 0;
      for (let a = 0; a < d; a++) {
        w[a] += step[a];
        size = Math.max(size, Math.abs(step[a]));
      }
      if (size < 1e-8) break;
    }
    correction.glass = w;
  }

  // Properties: ridge on the residuals.
  const columns: Record<string, { mean: Float64Array }> = {
    yieldStrengthMPa: { mean: pred.yieldMean },
    elongationPct: { mean: pred.elongationMean },
    ...(pred.others ?? {}),
  };
  for (const [property, column] of Object.entries(columns)) {
    const A = new Float64Array(d * d);
    const b = new Float64Array(d);
    let n = 0;
    rows.forEach((a, i) => {
      const v = propertyValue(a, property);
      if (v === null || !Number.isFinite(column.mean[i])) return;
      const r = v - column.mean[i];
      const z = Z[i];
      n++;
      for (let p = 0; p < d; p++) {
        b[p] += r * z[p];
        for (let q = 0; q < d; q++) A[p * d + q] += z[p] * z[q];
      }
    });
    if (n === 0) continue;
    for (let p = 0; p < d; p++) A[p * d + p] += PROCESS_RIDGE;
    const w = solve(A, b, d);
    if (w) correction.properties[property] = w;
  }
  return correction;
}

/**
 * Surrogates over agent states (composition fractions, then one number per process variable, see
 * design-space.ts stateDim): `base` predicts from the composition part, `correction` adds the
 * process's effect.
 */
export function withProcessInputs(base: Surrogates, space: DesignSpace, correction: ProcessCorrection): Surrogates & { processCorrection: ProcessCorrection } {
  const K = space.elements.length;
  const variables: readonly ProcessVariable[] = space.process ?? [];
  const d = correction.featureNames.length;
  const shift = (state: Float64Array, w: Float64Array): number => {
    const f = processFeatures(decodeProcess(state.subarray(K), variables), variables);
    let s = 0;
    for (let k = 0; k < d; k++) s += w[k] * (f[k] - correction.mean[k]);
    return s;
  };
  return {
    processCorrection: correction,
    predictFractions(states) {
      const p = base.predictFractions(states.map((s) => (s.length > K ? s.subarray(0, K) : s)));
      if (variables.length === 0) return p;
      const out: SurrogatePredictions = {
        ...p,
        pGlass: Float64Array.from(p.pGlass),
        yieldMean: Float64Array.from(p.yieldMean),
        elongationMean: Float64Array.from(p.elongationMean),
        ...(p.others ? { others: Object.fromEntries(Object.entries(p.others).map(([q, c]) => [q, { mean: Float64Array.from(c.mean), std: c.std }])) } : {}),
      };
      states.forEach((s, i) => {
        if (s.length <= K) return; // a bare composition: the defaults' process, no correction known to apply
        out.pGlass[i] = logistic(logit(out.pGlass[i]) + shift(s, correction.glass));
        const y = correction.properties.yieldStrengthMPa;
        if (y) out.yieldMean[i] += shift(s, y);
        const e = correction.properties.elongationPct;
        if (e) out.elongationMean[i] = Math.max(0, out.elongationMean[i] + shift(s, e));
        for (const [q, c] of Object.entries(out.others ?? {})) {
          const w = correction.properties[q];
          if (w) (c.mean as Float64Array)[i] += shift(s, w);
        }
      });
      return out;
    },
  };
}

function solve(A: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const l = cholesky(A, n);
  return l ? solveUpperTransposed(l, n, solveLower(l, n, b)) : null;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function logistic(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function logit(p: number): number {
  const q = Math.min(1 - 1e-6, Math.max(1e-6, p));
  return Math.log(q / (1 - q));
}
