import { describe, expect, it } from 'vitest';
import { BlendedRegressor, chooseBlendWeight } from '../../src/core/surrogates/blended-regressor.js';
import { DEFAULT_EDRVFL_CONFIG, EdRVFLRegressor } from '../../src/core/surrogates/edrvfl.js';
import { DEFAULT_OBLIVIOUS_BOOSTING_REGRESSOR_CONFIG } from '../../src/core/surrogates/oblivious-boosting.js';
import { Random } from '../../src/core/util/random.js';

describe('blended regressor', () => {
  it('chooses the weight with the lowest error on the given rows only', () => {
    const y = [0, 0, 0, 0, 10, 10];
    const a = [0, 0, 0, 0, 0, 0]; // right on rows 0-3
    const b = [4, 4, 4, 4, 10, 10]; // right on rows 4-5
    expect(chooseBlendWeight(a, b, y, [0, 1, 2, 3]).weight).toBe(1);
    expect(chooseBlendWeight(a, b, y, [4, 5]).weight).toBe(0.25);
    const all = chooseBlendWeight(a, b, y);
    expect(all.mae).toHaveLength(4);
    expect(all.mae[all.mae.indexOf(Math.min(...all.mae))]).toBeCloseTo(Math.min(...all.mae), 12);
  });

  it('prefers the even blend when the best candidate wins by less than its noise', () => {
    const rng = new Random(5);
    const y = Array.from({ length: 200 }, () => rng.normal(0, 1));
    // Two models equally good, with independent errors: any weight is within noise of the best.
    const a = y.map((v) => v + rng.normal(0, 1));
    const b = y.map((v) => v + rng.normal(0, 1));
    expect(chooseBlendWeight(a, b, y).weight).toBe(0.5);
    // One model clearly better: the data argue against the even blend.
    const good = y.map((v) => v + rng.normal(0, 0.05));
    expect(chooseBlendWeight(good, b, y).weight).toBe(1);
  });

  it('predicts the mixture mean and spread of its members and round-trips through JSON', () => {
    const rng = new Random(2);
    const X = Array.from({ length: 120 }, () => [rng.uniform(0, 1), rng.uniform(0, 1)]);
    const y = X.map(([u, v]) => 3 * u - 2 * v + rng.normal(0, 0.05));
    const m = BlendedRegressor.fit(X, X, y, {
      weight: 0.5,
      edrvfl: { ...DEFAULT_EDRVFL_CONFIG, ensembles: 3, hiddenUnits: 16, layers: 2, seed: 1 },
      boosting: { ...DEFAULT_OBLIVIOUS_BOOSTING_REGRESSOR_CONFIG, iterations: 80, learningRate: 0.2, depth: 3, seed: 1 },
    });
    const test = X.slice(0, 10);
    const p = m.predict(test);
    const a = m.edrvfl!.predict(test);
    const b = m.boosting!.predict(test);
    for (let i = 0; i < test.length; i++) {
      expect(p.mean[i]).toBeCloseTo((a.mean[i] + b.mean[i]) / 2, 12);
      const varMix = 0.5 * a.std[i] ** 2 + 0.5 * b.std[i] ** 2 + 0.25 * (a.mean[i] - b.mean[i]) ** 2;
      expect(p.std[i]).toBeCloseTo(Math.sqrt(varMix), 12);
    }
    const back = BlendedRegressor.fromJSON(JSON.parse(JSON.stringify(m.toJSON())));
    expect(Array.from(back.predict(test).mean)).toEqual(Array.from(p.mean));
    expect(Array.from(back.predict(test).std)).toEqual(Array.from(p.std));
  });

  it('reads a bare edRVFL (bundles saved before the blend) as weight 1', () => {
    const rng = new Random(3);
    const X = Array.from({ length: 60 }, () => [rng.uniform(0, 1)]);
    const y = X.map(([u]) => 2 * u);
    const e = new EdRVFLRegressor({ ensembles: 2, hiddenUnits: 8, layers: 2 }).fit(X, y);
    const m = BlendedRegressor.fromJSON(JSON.parse(JSON.stringify(e.toJSON())));
    expect(m.weight).toBe(1);
    expect(Array.from(m.predict(X).mean)).toEqual(Array.from(e.predict(X).mean));
  });
});
