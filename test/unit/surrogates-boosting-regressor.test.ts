import { describe, expect, it } from 'vitest';
import { r2Score } from '../../src/core/surrogates/metrics.js';
import { ObliviousBoostingRegressor } from '../../src/core/surrogates/oblivious-boosting.js';
import { Random } from '../../src/core/util/random.js';
import { expectSeedReproducible } from './seeded-checks.js';

/** y = sin(3 x0) + x1^2 + 0.5 x0 x1 + small noise; x2, x3 are irrelevant. */
function synthetic(n: number, seed: number, noise = 0.05) {
  const rng = new Random(seed);
  const X = Array.from({ length: n }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.normal(), rng.uniform(0, 5)]);
  const y = X.map((x) => Math.sin(3 * x[0]) + x[1] * x[1] + 0.5 * x[0] * x[1] + noise * rng.normal());
  return { X, y };
}

const FAST = { iterations: 300, learningRate: 0.1, depth: 4 };

describe('oblivious boosting regressor', () => {
  it('learns a known non-linear function on held-out data and ranks the informative features first', () => {
    const train = synthetic(1500, 1);
    const test = synthetic(500, 2, 0);
    const m = new ObliviousBoostingRegressor({ ...FAST, seed: 5 }).fit(train.X, train.y);
    const { mean, std } = m.predict(test.X);
    expect(r2Score(test.y, mean)).toBeGreaterThan(0.95);
    expect(Array.from(std).every((s) => s === 0)).toBe(true); // one member: no spread
    const imp = m.featureImportances();
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(imp[0] + imp[1]).toBeGreaterThan(0.9);
  });

  it('fits a positive target in log space and maps it back', () => {
    const rng = new Random(3);
    const X = Array.from({ length: 800 }, () => [rng.uniform(0, 2), rng.uniform(0, 1)]);
    const y = X.map((x) => Math.exp(1 + x[0]) * (1 + 0.02 * rng.normal()));
    const m = new ObliviousBoostingRegressor({ ...FAST, targetTransform: 'log', seed: 2 }).fit(X, y);
    const test = [[0.5, 0.5], [1.5, 0.1]];
    const { mean } = m.predict(test);
    expect(mean[0]).toBeCloseTo(Math.exp(1.5), -0.5);
    expect(mean[1] / Math.exp(2.5)).toBeGreaterThan(0.9);
    expect(mean[1] / Math.exp(2.5)).toBeLessThan(1.1);
    expect(() => new ObliviousBoostingRegressor({ targetTransform: 'log' }).fit([[0], [1]], [1, 0])).toThrow(RangeError);
  });

  it('an ensemble reports a spread, and early stopping keeps fewer trees on noise', () => {
    const { X, y } = synthetic(400, 4);
    const m = new ObliviousBoostingRegressor({ ...FAST, ensembles: 3, seed: 7 }).fit(X, y);
    const { std } = m.predict(synthetic(50, 5).X);
    expect(Array.from(std).some((s) => s > 0)).toBe(true);
    const rng = new Random(6);
    const noise = Array.from({ length: 400 }, () => rng.normal());
    const es = new ObliviousBoostingRegressor({ iterations: 500, validationFraction: 0.2, earlyStoppingRounds: 20, seed: 1 }).fit(X, noise);
    expect(es.treeCount).toBeLessThan(500);
  });

  it('round-trips through JSON with bit-identical predictions', () => {
    const { X, y } = synthetic(600, 8);
    const m = new ObliviousBoostingRegressor({ ...FAST, ensembles: 2, targetTransform: 'identity', seed: 9 }).fit(X, y);
    const back = ObliviousBoostingRegressor.fromJSON(JSON.parse(JSON.stringify(m)));
    const test = synthetic(200, 10).X;
    const a = m.predict(test);
    const b = back.predict(test);
    expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
    expect(Array.from(b.std)).toEqual(Array.from(a.std));
    expect(() => ObliviousBoostingRegressor.fromJSON({ ...m.toJSON(), kind: 'edrvfl' } as never)).toThrow();
  });

  it('same seed gives identical predictions, a different seed different ones', () => {
    const { X, y } = synthetic(600, 11);
    const test = synthetic(100, 12).X;
    expectSeedReproducible((seed) => new ObliviousBoostingRegressor({ ...FAST, seed }).fit(X, y).predict(test).mean);
  });

  it('predicts batches, and reads its columns from wider rows without copies', () => {
    const { X, y } = synthetic(500, 13);
    const m = new ObliviousBoostingRegressor({ ...FAST, seed: 3 }).fit(X, y);
    const test = synthetic(700, 14).X; // more than one 256-row block
    const whole = m.predict(test).mean;
    const oneByOne = test.map((row) => m.predict([row]).mean[0]);
    expect(Array.from(whole)).toEqual(oneByOne);
    const wide = test.map((row) => [99, row[3], row[0], -1, row[2], row[1]]);
    expect(Array.from(m.predict(wide, [2, 5, 4, 1]).mean)).toEqual(Array.from(whole));
    expect(() => m.predict(wide, [0, 1])).toThrow(RangeError);
  });
});
