import { describe, expect, it } from 'vitest';
import { EdRVFLRegressor } from '../../src/core/surrogates/edrvfl.js';
import { r2Score } from '../../src/core/surrogates/metrics.js';
import { Random } from '../../src/core/util/random.js';
import { expectSeedReproducible } from './seeded-checks.js';

const f = (x: number[]) => Math.sin(2 * x[0]) + 0.5 * x[1] * x[1] - x[0] * x[1];

function smoothData(n: number, seed: number) {
  const rng = new Random(seed);
  const X = Array.from({ length: n }, () => [rng.uniform(-1.5, 1.5), rng.uniform(-1.5, 1.5)]);
  return { X, y: X.map((x) => f(x) + 0.02 * rng.normal()) };
}

const SMALL = { layers: 4, hiddenUnits: 40, ensembles: 4, ridgeLambda: 0.1 };

describe('edRVFL regressor', () => {
  it('learns a smooth function (held-out R2 > 0.9) and is less sure away from the data', () => {
    const train = smoothData(300, 1);
    const test = smoothData(200, 2);
    const m = new EdRVFLRegressor({ ...SMALL, seed: 3 }).fit(train.X, train.y);
    const { mean, std } = m.predict(test.X);
    expect(r2Score(test.y, mean)).toBeGreaterThan(0.9);
    const inside = m.predict([[0, 0]]).std[0];
    const far = m.predict([[6, -6]]).std[0];
    expect(far).toBeGreaterThan(3 * inside);
    expect(std.every((s) => s >= 0)).toBe(true);
  });

  it('round-trips through JSON with bit-identical predictions (both activations, log1p target)', () => {
    const { X, y } = smoothData(120, 4);
    const yPos = y.map((v) => Math.exp(v));
    for (const activation of ['relu', 'sigmoid'] as const) {
      const m = new EdRVFLRegressor({ ...SMALL, activation, targetTransform: 'log1p', seed: 5 }).fit(X, yPos);
      const back = EdRVFLRegressor.fromJSON(JSON.parse(JSON.stringify(m)));
      const a = m.predict(X.slice(0, 30));
      const b = back.predict(X.slice(0, 30));
      expect(Array.from(b.mean)).toEqual(Array.from(a.mean));
      expect(Array.from(b.std)).toEqual(Array.from(a.std));
    }
  });

  it('same seed gives identical predictions, a different seed different ones', () => {
    const { X, y } = smoothData(100, 6);
    const test = smoothData(20, 7).X;
    expectSeedReproducible((seed) => new EdRVFLRegressor({ ...SMALL, seed }).fit(X, y).predict(test).mean);
  });
});
