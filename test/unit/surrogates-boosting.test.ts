import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../src/core/surrogates/metrics.js';
import { ObliviousBoostingClassifier, quantileBorders } from '../../src/core/surrogates/oblivious-boosting.js';
import { Random } from '../../src/core/util/random.js';

/** XOR-ish: class 1 when x0 and x1 have the same sign; x2, x3 are noise. */
function xorData(n: number, seed: number) {
  const rng = new Random(seed);
  const X = Array.from({ length: n }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.normal(), rng.uniform(0, 5)]);
  const y = X.map((x) => (x[0] * x[1] > 0 ? 1 : 0));
  return { X, y };
}

const FAST = { iterations: 150, learningRate: 0.2, depth: 4 };

describe('oblivious boosting classifier', () => {
  it('learns XOR on held-out data and ranks the informative features first', () => {
    const train = xorData(1500, 1);
    const test = xorData(500, 2);
    const m = new ObliviousBoostingClassifier({ ...FAST, seed: 5 }).fit(train.X, train.y);
    const p = m.predictProba(test.X);
    expect(rocAuc(test.y, p)).toBeGreaterThan(0.95);
    expect(p.every((v) => v > 0 && v < 1)).toBe(true);
    const imp = m.featureImportances();
    expect(imp.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(imp[0] + imp[1]).toBeGreaterThan(0.8);
  });

  it('stops early on a noisy problem', () => {
    const rng = new Random(3);
    const X = Array.from({ length: 400 }, () => [rng.normal(), rng.normal()]);
    const y = X.map(() => (rng.next() < 0.5 ? 1 : 0));
    const m = new ObliviousBoostingClassifier({ iterations: 500, earlyStoppingRounds: 20, seed: 1 }).fit(X, y);
    expect(m.treeCount).toBeLessThan(500);
  });

  it('round-trips through JSON with bit-identical predictions', () => {
    const { X, y } = xorData(600, 4);
    const m = new ObliviousBoostingClassifier({ ...FAST, seed: 9 }).fit(X, y);
    const back = ObliviousBoostingClassifier.fromJSON(JSON.parse(JSON.stringify(m)));
    const test = xorData(200, 5).X;
    expect(Array.from(back.predictProba(test))).toEqual(Array.from(m.predictProba(test)));
  });

  it('same seed gives identical predictions, a different seed different ones', () => {
    const { X, y } = xorData(600, 6);
    const test = xorData(100, 7).X;
    const a = new ObliviousBoostingClassifier({ ...FAST, seed: 1 }).fit(X, y).predictProba(test);
    const b = new ObliviousBoostingClassifier({ ...FAST, seed: 1 }).fit(X, y).predictProba(test);
    const c = new ObliviousBoostingClassifier({ ...FAST, seed: 2 }).fit(X, y).predictProba(test);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('quantile borders separate distinct values and respect the cap', () => {
    expect(Array.from(quantileBorders(Float64Array.from([0, 0, 1, 1, 3]), 64))).toEqual([0.5, 2]);
    const many = Float64Array.from({ length: 1000 }, (_, i) => i);
    const b = quantileBorders(many, 16);
    expect(b.length).toBeLessThanOrEqual(16);
    expect(b.length).toBeGreaterThanOrEqual(15);
  });
});
