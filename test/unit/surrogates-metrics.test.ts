import { describe, expect, it } from 'vitest';
import {
  accuracy,
  classificationMetrics,
  f1Score,
  meanAbsoluteError,
  pearson,
  r2Score,
  rocAuc,
  rootMeanSquaredError,
} from '../../src/core/surrogates/metrics.js';

describe('surrogate metrics', () => {
  it('accuracy and F1 match hand counts', () => {
    const y = [1, 1, 1, 0, 0, 0, 1, 0];
    const p = [1, 0, 1, 1, 0, 0, 1, 0];
    expect(accuracy(y, p)).toBeCloseTo(6 / 8, 12);
    // tp = 3, fp = 1, fn = 1 -> 2*3 / (6 + 1 + 1)
    expect(f1Score(y, p)).toBeCloseTo(6 / 8, 12);
    expect(f1Score([0, 0], [0, 0])).toBe(0);
  });

  it('ROC-AUC counts tied scores as one half', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
    // pairs (pos, neg): (0.5,0.5)=0.5, (0.5,0.2)=1, (0.9,0.5)=1, (0.9,0.2)=1 -> 3.5 / 4
    expect(rocAuc([1, 0, 1, 0], [0.5, 0.5, 0.9, 0.2])).toBeCloseTo(3.5 / 4, 12);
    expect(rocAuc([1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3])).toBeCloseTo(0.5, 12);
    expect(rocAuc([1, 1], [0.2, 0.3])).toBeNaN();
  });

  it('regression metrics', () => {
    const y = [1, 2, 3, 4];
    const p = [1.5, 2, 2.5, 5];
    expect(meanAbsoluteError(y, p)).toBeCloseTo(2 / 4, 12);
    expect(rootMeanSquaredError(y, p)).toBeCloseTo(Math.sqrt(1.5 / 4), 12);
    expect(r2Score(y, p)).toBeCloseTo(1 - 1.5 / 5, 12);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('classificationMetrics thresholds probabilities at 0.5', () => {
    const m = classificationMetrics([1, 0, 1, 0], [0.9, 0.6, 0.4, 0.1]);
    expect(m.accuracy).toBeCloseTo(0.5, 12);
    expect(m.rocAuc).toBeCloseTo(0.75, 12);
    expect(m.f1).toBeCloseTo(0.5, 12);
  });
});
