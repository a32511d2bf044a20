/**
 * Seeded k-fold assignment (plain, stratified, grouped) and a generic cross-validation runner.
 * Groups keep repeated measurements of one alloy in the same fold, so a test row never has its
 * twin in the training folds.
 */
import { Random } from '../util/random.js';
import type { FeatureMatrix } from './types.js';
import { meanOf, stdOf } from './metrics.js';

export interface FoldOptions {
  seed: number;
  /** Rows with the same group key always land in the same fold. */
  groups?: ArrayLike<string | number>;
}

/** Fold index (0..k-1) per row; every row gets exactly one fold and fold sizes differ by as little as groups allow. */
export function kFold(n: number, k: number, options: FoldOptions): Int32Array {
  return assignFolds(new Array<number>(n).fill(0), k, options);
}

/** Like kFold, but each fold keeps the class proportions of `labels` (by the group's first label when grouped). */
export function stratifiedKFold(labels: ArrayLike<number>, k: number, options: FoldOptions): Int32Array {
  return assignFolds(Array.from(labels), k, options);
}

function assignFolds(strata: number[], k: number, { seed, groups }: FoldOptions): Int32Array {
  const n = strata.length;
  if (!Number.isInteger(k) || k < 2) throw new RangeError('k must be an integer >= 2');
  if (groups && groups.length !== n) throw new RangeError('groups must have one entry per row');
  // Collect the groups (a row is its own group when none are given), in first-seen order.
  const members = new Map<string | number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = groups ? groups[i] : i;
    const list = members.get(key);
    if (list) list.push(i);
    else members.set(key, [i]);
  }
  const byStratum = new Map<number, number[][]>();
  for (const rows of members.values()) {
    const s = strata[rows[0]];
    const list = byStratum.get(s);
    if (list) list.push(rows);
    else byStratum.set(s, [rows]);
  }
  const rng = new Random(seed);
  const folds = new Int32Array(n);
  const total = new Array<number>(k).fill(0);
  // Strata in sorted order so the result does not depend on row order beyond the shuffle.
  for (const s of [...byStratum.keys()].sort((a, b) => a - b)) {
    const groupList = rng.shuffle(byStratum.get(s)!);
    const inStratum = new Array<number>(k).fill(0);
    // Greedy: each group goes to the fold with the fewest rows of this stratum (then overall).
    for (const rows of groupList) {
      let best = 0;
      for (let f = 1; f < k; f++) {
        if (inStratum[f] < inStratum[best] || (inStratum[f] === inStratum[best] && total[f] < total[best])) best = f;
      }
      for (const i of rows) folds[i] = best;
      inStratum[best] += rows.length;
      total[best] += rows.length;
    }
  }
  return folds;
}

/** Train/test row indices for each fold. */
export function foldSplits(folds: ArrayLike<number>, k: number): { train: number[]; test: number[] }[] {
  const splits = Array.from({ length: k }, () => ({ train: [] as number[], test: [] as number[] }));
  for (let i = 0; i < folds.length; i++) {
    for (let f = 0; f < k; f++) (f === folds[i] ? splits[f].test : splits[f].train).push(i);
  }
  return splits;
}

export interface CrossValidationSpec<M> {
  X: FeatureMatrix;
  y: ArrayLike<number>;
  /** Fold per row, from kFold / stratifiedKFold. */
  folds: ArrayLike<number>;
  fit: (X: FeatureMatrix, y: number[], fold: number) => M;
  /** One score per row (P(class 1) or the regression mean). */
  predict: (model: M, X: FeatureMatrix) => ArrayLike<number>;
  metrics: (yTrue: number[], yPred: number[]) => Record<string, number>;
  /** Called after each fold (progress reporting). */
  onFold?: (fold: number, k: number) => void;
}

export interface CrossValidationResult {
  perFold: Record<string, number>[];
  mean: Record<string, number>;
  std: Record<string, number>;
  /** Out-of-fold prediction for every row (for subgroup metrics on the same folds). */
  oof: Float64Array;
  /** Wall-clock seconds spent in fit, per fold. */
  fitSeconds: number[];
}

export function crossValidate<M>(spec: CrossValidationSpec<M>): CrossValidationResult {
  const k = Math.max(...Array.from(spec.folds)) + 1;
  const oof = new Float64Array(spec.y.length).fill(NaN);
  const perFold: Record<string, number>[] = [];
  const fitSeconds: number[] = [];
  foldSplits(spec.folds, k).forEach(({ train, test }, fold) => {
    const t0 = performance.now();
    const model = spec.fit(
      train.map((i) => spec.X[i]),
      train.map((i) => spec.y[i]),
      fold,
    );
    fitSeconds.push((performance.now() - t0) / 1000);
    const pred = spec.predict(
      model,
      test.map((i) => spec.X[i]),
    );
    test.forEach((row, j) => (oof[row] = pred[j]));
    perFold.push(
      spec.metrics(
        test.map((i) => spec.y[i]),
        Array.from(pred),
      ),
    );
    spec.onFold?.(fold, k);
  });
  return { perFold, ...summarize(perFold), oof, fitSeconds };
}

/** Mean and sample std of each metric over folds. */
export function summarize(perFold: Record<string, number>[]): { mean: Record<string, number>; std: Record<string, number> } {
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const name of Object.keys(perFold[0] ?? {})) {
    const values = perFold.map((m) => m[name]);
    mean[name] = meanOf(values);
    std[name] = stdOf(values);
  }
  return { mean, std };
}
