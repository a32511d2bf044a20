/**
 * Evaluation metrics for the surrogates. Plain functions over array-likes; labels are 0/1.
 */

type Vec = ArrayLike<number>;

function checkLengths(a: Vec, b: Vec): void {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  if (a.length === 0) throw new RangeError('empty input');
}

/** Share of rows where the predicted label equals the true label. */
export function accuracy(yTrue: Vec, yPred: Vec): number {
  checkLengths(yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/** F1 of the positive class (label 1); 0 when there are no true or predicted positives. */
export function f1Score(yTrue: Vec, yPred: Vec): number {
  checkLengths(yTrue, yPred);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] === 1;
    const p = yPred[i] === 1;
    if (t && p) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/**
 * Area under the ROC curve from ranks (Mann-Whitney U): the probability that a random positive
 * scores higher than a random negative, ties counting one half (tied scores share their mean rank).
 * NaN when only one class is present.
 */
export function rocAuc(yTrue: Vec, scores: Vec): number {
  checkLengths(yTrue, scores);
  const n = yTrue.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let nPos = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]] === scores[order[start]]) end++;
    const meanRank = (start + 1 + end) / 2; // ranks start..end-1 are 1-based start+1..end
    for (let k = start; k < end; k++) {
      if (yTrue[order[k]] === 1) {
        rankSumPos += meanRank;
        nPos++;
      }
    }
    start = end;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Coefficient of determination 1 - SS_res / SS_tot (can be negative). */
export function r2Score(yTrue: Vec, yPred: Vec): number {
  checkLengths(yTrue, yPred);
  const mean = meanOf(yTrue);
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < yTrue.length; i++) {
    ssRes += (yTrue[i] - yPred[i]) ** 2;
    ssTot += (yTrue[i] - mean) ** 2;
  }
  return ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot;
}

export function meanAbsoluteError(yTrue: Vec, yPred: Vec): number {
  checkLengths(yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i] - yPred[i]);
  return s / yTrue.length;
}

export function rootMeanSquaredError(yTrue: Vec, yPred: Vec): number {
  checkLengths(yTrue, yPred);
  let s = 0;
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i] - yPred[i]) ** 2;
  return Math.sqrt(s / yTrue.length);
}

/** Pearson correlation; NaN when either side is constant. */
export function pearson(a: Vec, b: Vec): number {
  checkLengths(a, b);
  const ma = meanOf(a);
  const mb = meanOf(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? NaN : sab / Math.sqrt(saa * sbb);
}

export interface ClassificationMetrics {
  accuracy: number;
  rocAuc: number;
  f1: number;
  [name: string]: number;
}

/** Accuracy and F1 at `threshold` on P(class 1), ROC-AUC on the probabilities themselves. */
export function classificationMetrics(yTrue: Vec, proba: Vec, threshold = 0.5): ClassificationMetrics {
  const labels = Array.from(proba, (p) => (p >= threshold ? 1 : 0));
  return { accuracy: accuracy(yTrue, labels), rocAuc: rocAuc(yTrue, proba), f1: f1Score(yTrue, labels) };
}

export interface RegressionMetrics {
  r2: number;
  mae: number;
  rmse: number;
  pearson: number;
  [name: string]: number;
}

export function regressionMetrics(yTrue: Vec, yPred: Vec): RegressionMetrics {
  return {
    r2: r2Score(yTrue, yPred),
    mae: meanAbsoluteError(yTrue, yPred),
    rmse: rootMeanSquaredError(yTrue, yPred),
    pearson: pearson(yTrue, yPred),
  };
}

export function meanOf(values: Vec): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export function stdOf(values: Vec): number {
  if (values.length < 2) return 0;
  const m = meanOf(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}
