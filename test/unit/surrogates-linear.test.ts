import { describe, expect, it } from 'vitest';
import { crossValidate, foldSplits, kFold, stratifiedKFold } from '../../src/core/surrogates/cross-validation.js';
import { regressionMetrics } from '../../src/core/surrogates/metrics.js';
import { RidgeRegression } from '../../src/core/surrogates/ridge.js';
import { Random } from '../../src/core/util/random.js';

describe('ridge regression', () => {
  it('recovers a linear function exactly with a tiny penalty (primal and dual)', () => {
    const rng = new Random(1);
    const f = (x: number[]) => 3 + 2 * x[0] - 0.5 * x[1] + 10 * x[2];
    for (const n of [50, 3]) {
      const X = Array.from({ length: n }, () => [rng.normal(), rng.normal(5, 2), rng.uniform(0, 1)]);
      const m = new RidgeRegression({ lambda: 1e-10 }).fit(
        X,
        X.map((x) => f(x)),
      );
      const test = [
        [0.3, 4, 0.2],
        [-1, 7, 0.9],
      ];
      const pred = m.predict(test);
      // With n < p + 1 the fit is exact only on the training rows.
      const check = n > 3 ? test : X;
      const p = m.predict(check);
      check.forEach((x, i) => expect(p[i]).toBeCloseTo(f(x), 6));
      expect(pred.length).toBe(2);
      const back = RidgeRegression.fromJSON(JSON.parse(JSON.stringify(m)));
      expect(Array.from(back.predict(test))).toEqual(Array.from(pred));
    }
  });
});

describe('k-fold assignment', () => {
  it('puts every row in exactly one fold, with balanced sizes', () => {
    const folds = kFold(103, 5, { seed: 7 });
    const splits = foldSplits(folds, 5);
    const seen = new Array(103).fill(0);
    for (const s of splits) {
      for (const i of s.test) seen[i]++;
      expect(s.test.length + s.train.length).toBe(103);
      expect(s.test.length).toBeGreaterThanOrEqual(20);
      expect(s.test.length).toBeLessThanOrEqual(21);
    }
    expect(seen.every((c) => c === 1)).toBe(true);
    expect(Array.from(kFold(103, 5, { seed: 7 }))).toEqual(Array.from(folds));
    expect(Array.from(kFold(103, 5, { seed: 8 }))).not.toEqual(Array.from(folds));
  });

  it('stratifies by label and keeps groups together', () => {
    const labels = Array.from({ length: 100 }, (_, i) => (i < 20 ? 1 : 0));
    const groups = Array.from({ length: 100 }, (_, i) => `g${Math.floor(i / 2)}`);
    const folds = stratifiedKFold(labels, 5, { seed: 3, groups });
    for (let f = 0; f < 5; f++) {
      const rows = labels.map((_, i) => i).filter((i) => folds[i] === f);
      expect(rows.filter((i) => labels[i] === 1).length).toBe(4);
    }
    for (let i = 0; i < 100; i += 2) expect(folds[i]).toBe(folds[i + 1]);
  });

  it('crossValidate returns out-of-fold predictions for every row', () => {
    const rng = new Random(2);
    const X = Array.from({ length: 60 }, () => [rng.normal(), rng.normal()]);
    const y = X.map((x) => x[0] - x[1] + 0.01 * rng.normal());
    const res = crossValidate({
      X,
      y,
      folds: kFold(60, 4, { seed: 1 }),
      fit: (Xt, yt) => new RidgeRegression({ lambda: 1e-3 }).fit(Xt, yt),
      predict: (m, Xt) => m.predict(Xt),
      metrics: regressionMetrics,
    });
    expect(res.perFold.length).toBe(4);
    expect(res.oof.every((v) => Number.isFinite(v))).toBe(true);
    expect(res.mean.r2).toBeGreaterThan(0.99);
  });
});
