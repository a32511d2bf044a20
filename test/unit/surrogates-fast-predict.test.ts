import { describe, expect, it } from 'vitest';
import { EdRVFLRegressor, type EdRVFLConfig, type EdRVFLJSON } from '../../src/core/surrogates/edrvfl.js';
import { ObliviousBoostingClassifier, type ObliviousBoostingJSON } from '../../src/core/surrogates/oblivious-boosting.js';
import { Random } from '../../src/core/util/random.js';

/** An edRVFL with random weights (not fitted: the point is the arithmetic of the forward pass). */
function randomModel(rng: Random, p: number, config: Partial<EdRVFLConfig>): EdRVFLJSON {
  const cfg: EdRVFLConfig = {
    layers: 3,
    hiddenUnits: 13,
    ridgeLambda: 1,
    activation: 'relu',
    weightScale: 3,
    ensembles: 3,
    bootstrap: false,
    inputClip: 2.5,
    targetTransform: 'identity',
    seed: 1,
    ...config,
  };
  const H = cfg.hiddenUnits;
  const vec = (n: number, s = 1) => Array.from({ length: n }, () => rng.uniform(-s, s));
  return {
    kind: 'edrvfl',
    config: cfg,
    xMean: Array.from({ length: p }, (_, d) => (d % 3 === 0 ? 0 : rng.uniform(0, 2))),
    xStd: Array.from({ length: p }, () => rng.uniform(0.05, 2)),
    yMean: 0.3,
    yStd: 1.7,
    networks: Array.from({ length: cfg.ensembles }, () =>
      Array.from({ length: cfg.layers }, (_, k) => {
        const fanIn = k === 0 ? p : p + H;
        return { fanIn, weights: vec(H * fanIn, 1.5), biases: vec(H), readout: vec(p + H + 1, 0.5) };
      }),
    ),
  };
}

/** The textbook forward pass: z = b + W [x, h_{k-1}], readout beta . [x, h_k, 1], mean and std over members. */
function reference(json: EdRVFLJSON, X: number[][]): { mean: number[]; std: number[] } {
  const { config: cfg, xMean, xStd } = json;
  const H = cfg.hiddenUnits;
  const inv = (v: number) => (cfg.targetTransform === 'log1p' ? Math.max(Math.expm1(v), 0) : v);
  const mean: number[] = [];
  const std: number[] = [];
  for (const row of X) {
    const x = row.map((v, d) => Math.min(cfg.inputClip, Math.max(-cfg.inputClip, (v - xMean[d]) / xStd[d])));
    const outs: number[] = [];
    for (const layers of json.networks) {
      let prev: number[] = [];
      for (const l of layers) {
        const input = [...x, ...prev];
        const h = Array.from({ length: H }, (_, j) => {
          let z = l.biases[j];
          for (let d = 0; d < input.length; d++) z += l.weights[j * l.fanIn + d] * input[d];
          return cfg.activation === 'relu' ? Math.max(z, 0) : 1 / (1 + Math.exp(-z));
        });
        const features = [...x, ...h, 1];
        outs.push(features.reduce((s, v, d) => s + v * l.readout[d], 0) * json.yStd + json.yMean);
        prev = h;
      }
    }
    const mu = outs.reduce((a, b) => a + b, 0) / outs.length;
    const sd = Math.sqrt(Math.max(0, outs.reduce((a, b) => a + b * b, 0) / outs.length - mu * mu));
    mean.push(inv(mu));
    std.push(cfg.targetTransform === 'identity' ? sd : (inv(mu + sd) - inv(mu - sd)) / 2);
  }
  return { mean, std };
}

/** Rows with many exact zeros (absent elements), some far outside the training range (clipped). */
function sparseRows(rng: Random, n: number, p: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: p }, (_, d) => (d % 2 === 1 && rng.next() < 0.6 ? 0 : rng.uniform(-1, 4) * (rng.next() < 0.05 ? 20 : 1))));
}

function expectClose(actual: ArrayLike<number>, expected: number[], rel: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(expected[i])));
  }
}

describe('edRVFL batched prediction', () => {
  const cases: [string, Partial<EdRVFLConfig>, number][] = [
    ['relu', {}, 11],
    ['sigmoid', { activation: 'sigmoid' }, 7],
    ['log1p, one layer', { targetTransform: 'log1p', layers: 1 }, 5],
    ['wide', { hiddenUnits: 40, layers: 4 }, 23],
  ];
  for (const [name, config, p] of cases) {
    it(`equals the textbook forward pass on random weights (${name})`, () => {
      const rng = new Random(p);
      const json = randomModel(rng, p, config);
      const model = EdRVFLRegressor.fromJSON(json);
      // More rows than one block, and a ragged last block.
      const X = sparseRows(rng, 150, p);
      const fast = model.predict(X);
      const ref = reference(json, X);
      expectClose(fast.mean, ref.mean, 1e-12);
      expectClose(fast.std, ref.std, 1e-9);
    });
  }

  it('gives each row the same bits whatever the batch, and reads columns in place', () => {
    const rng = new Random(3);
    const p = 9;
    const model = EdRVFLRegressor.fromJSON(randomModel(rng, p, { hiddenUnits: 20 }));
    const X = sparseRows(rng, 100, p);
    const batch = model.predict(X);
    const single = X.map((row) => model.predict([row]).mean[0]);
    expect(Array.from(batch.mean)).toEqual(single);
    // Rows with extra columns around the model's features, picked by `columns`.
    const columns = Array.from({ length: p }, (_, d) => 2 * d + 1);
    const wide = X.map((row) => Array.from({ length: 2 * p + 1 }, (_, j) => (j % 2 === 1 ? row[(j - 1) / 2] : -99)));
    expect(Array.from(model.predict(wide, columns).mean)).toEqual(Array.from(batch.mean));
    expect(() => model.predict(X.map((r) => r.slice(1)))).toThrow(RangeError);
  });

  it('a fitted model predicts its training rows like the textbook pass on its own weights', () => {
    const rng = new Random(8);
    const X = sparseRows(rng, 80, 6);
    const y = X.map((r) => r[0] - 2 * r[1] + Math.sin(r[2]));
    const m = new EdRVFLRegressor({ layers: 3, hiddenUnits: 24, ensembles: 2, seed: 4 }).fit(X, y);
    expectClose(m.predict(X).mean, reference(m.toJSON(), X).mean, 1e-12);
  });
});

describe('oblivious boosting batched prediction', () => {
  it('equals a per-row walk of every tree', () => {
    const rng = new Random(5);
    const nFeatures = 6;
    const trees = Array.from({ length: 40 }, () => {
      const depth = 1 + rng.int(5);
      return {
        features: Array.from({ length: depth }, () => rng.int(nFeatures)),
        thresholds: Array.from({ length: depth }, () => rng.uniform(-1, 1)),
        leaves: Array.from({ length: 1 << depth }, () => rng.uniform(-0.3, 0.3)),
        gains: Array.from({ length: depth }, () => 1),
      };
    });
    const json: ObliviousBoostingJSON = {
      kind: 'oblivious-boosting',
      config: new ObliviousBoostingClassifier().config,
      nFeatures,
      baseScore: -0.2,
      bestIteration: trees.length - 1,
      trees,
    };
    const model = ObliviousBoostingClassifier.fromJSON(json);
    const X = Array.from({ length: 300 }, () => Array.from({ length: nFeatures }, () => rng.uniform(-1.5, 1.5)));
    const expected = X.map((row) => {
      let s = json.baseScore;
      for (const t of trees) s += t.leaves[t.features.reduce((idx, f, d) => (row[f] > t.thresholds[d] ? idx | (1 << d) : idx), 0)];
      return s;
    });
    expect(Array.from(model.predictRaw(X))).toEqual(expected);
  });
});
