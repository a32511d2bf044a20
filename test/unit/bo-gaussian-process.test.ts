import { describe, expect, it } from 'vitest';
import { cholesky, solveLower, solveUpperTransposed } from '../../src/core/bo/cholesky.js';
import { FantasyPosterior } from '../../src/core/bo/fantasy-posterior.js';
import { GaussianProcess, matern52 } from '../../src/core/bo/gaussian-process.js';
import { GlassClassifier } from '../../src/core/bo/glass-classifier.js';
import { Random } from '../../src/core/util/random.js';

const points1d = (xs: number[]) => xs.map((x) => [x]);

/** A draw from a zero-mean Matern 5/2 GP with the given lengthscale at the points (plus tiny noise). */
function gpDraw(points: number[][], lengthscale: number, rng: Random): number[] {
  const n = points.length;
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const r = Math.hypot(...points[i].map((v, d) => v - points[j][d]));
      k[i * n + j] = matern52(r, lengthscale) + (i === j ? 1e-6 : 0);
    }
  const l = cholesky(k, n)!;
  const e = Array.from({ length: n }, () => rng.normal());
  return Array.from({ length: n }, (_, i) => e.reduce((s, v, j) => s + l[i * n + j] * v, 0) + 0.01 * rng.normal());
}

describe('Gaussian process regression', () => {
  const xs = [0, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 1];
  const ys = xs.map((x) => 1500 + 200 * Math.sin(6 * x));
  const gp = GaussianProcess.fit(points1d(xs), ys, { hyperparameters: { lengthscale: 0.3, signalVariance: 1, noiseRatio: 1e-6 } });

  it('interpolates its training points when the noise is small', () => {
    const { mean, variance } = gp.predict(points1d(xs));
    xs.forEach((_, i) => {
      expect(mean[i]).toBeCloseTo(ys[i], 1);
      expect(Math.sqrt(variance[i])).toBeLessThan(1);
    });
  });

  it('grows its variance away from the data, up to the prior', () => {
    const away = [1, 1.05, 1.15, 1.3, 1.6, 3];
    const { mean, variance } = gp.predict(points1d(away));
    for (let i = 1; i < away.length; i++) expect(variance[i]).toBeGreaterThan(variance[i - 1]);
    const prior = gp.hyperparameters.signalVariance * gp.targetScale ** 2;
    expect(variance.at(-1)!).toBeCloseTo(prior, 0);
    // Far away the mean returns to the prior mean (the targets' mean).
    expect(mean.at(-1)!).toBeCloseTo(gp.targetMean, 0);
  });

  it('finds the lengthscale of the function it is fitted to (marginal likelihood over the grid)', () => {
    const rng = new Random(11);
    const points = Array.from({ length: 120 }, () => [rng.next() * 0.6, rng.next() * 0.6]);
    const fitted = (lengthscale: number) => GaussianProcess.fit(points, gpDraw(points, lengthscale, rng), { seed: 3 }).hyperparameters.lengthscale;
    const short = fitted(0.06);
    const long = fitted(0.25);
    expect(short).toBeGreaterThanOrEqual(0.035);
    expect(short).toBeLessThanOrEqual(0.1);
    expect(long).toBeGreaterThanOrEqual(0.16);
    expect(long).toBeLessThanOrEqual(0.4);
    // Pure noise: the largest noise ratio of the grid explains it best.
    const noise = GaussianProcess.fit(points, points.map(() => rng.normal()), { seed: 3 }).hyperparameters;
    expect(noise.noiseRatio).toBeGreaterThanOrEqual(0.3);
  });

  it('gives the same leave-one-out predictions as refitting without the point', () => {
    const rng = new Random(5);
    const points = Array.from({ length: 15 }, () => [rng.next(), rng.next()]);
    const y = points.map(([a, b]) => Math.sin(4 * a) + b * b + 0.05 * rng.normal());
    const full = GaussianProcess.fit(points, y, { seed: 1 });
    const loo = full.leaveOneOut();
    for (const i of [0, 7, 14]) {
      const rest = GaussianProcess.fit(points.filter((_, j) => j !== i), y.filter((_, j) => j !== i), {
        hyperparameters: full.hyperparameters,
        standardisation: { mean: full.targetMean, scale: full.targetScale },
      });
      const p = rest.predict([points[i]]);
      expect(loo.mean[i]).toBeCloseTo(p.mean[0], 6);
      expect(loo.variance[i]).toBeCloseTo(p.variance[0] + rest.noiseVarianceInTargetUnits, 6);
    }
  });

  it('conditions on a fantasy exactly as refitting with the fantasy point added', () => {
    const rng = new Random(9);
    const points = Array.from({ length: 12 }, () => [rng.next(), rng.next()]);
    const y = points.map(([a, b]) => a - 2 * b + 0.1 * rng.normal());
    const base = GaussianProcess.fit(points, y, { seed: 2 });
    const candidates = Array.from({ length: 20 }, () => Float64Array.of(rng.next(), rng.next()));
    const posterior = new FantasyPosterior(base, candidates);
    const fantasies = [
      [0.5, 0.5],
      [0.52, 0.45],
      [0.1, 0.9],
    ];
    const values: number[] = [];
    for (const f of fantasies) values.push(base.toTargetUnits(posterior.addFantasy(f, (mean, v) => mean - Math.sqrt(v))));
    const refit = GaussianProcess.fit([...points, ...fantasies], [...y, ...values], {
      hyperparameters: base.hyperparameters,
      standardisation: { mean: base.targetMean, scale: base.targetScale },
    });
    const expected = refit.predict(candidates);
    candidates.forEach((_, i) => {
      expect(base.toTargetUnits(posterior.mean[i])).toBeCloseTo(expected.mean[i], 6);
      expect(posterior.variance[i] * base.targetScale ** 2).toBeCloseTo(expected.variance[i], 6);
    });
    expect(posterior.fantasyCount).toBe(3);
  });

  it('solves triangular systems (L L^T x = b)', () => {
    const a = Float64Array.of(4, 2, 2, 3);
    const l = cholesky(a, 2)!;
    expect(Array.from(l)).toEqual([2, 0, 1, Math.SQRT2]);
    const x = solveLower(l, 2, [2, 1 + Math.SQRT2]);
    expect(x[0]).toBeCloseTo(1, 12);
    expect(x[1]).toBeCloseTo(1, 12);
    // L^T y = (3, sqrt2) -> y = (1, 1).
    const y = solveUpperTransposed(l, 2, [3, Math.SQRT2]);
    expect(y[0]).toBeCloseTo(1, 12);
    expect(y[1]).toBeCloseTo(1, 12);
    expect(cholesky(Float64Array.of(1, 2, 2, 1), 2)).toBeNull();
  });
});

describe('GP glass classifier', () => {
  it('follows the labels near them and drifts to an uncertain prior far away', () => {
    const rng = new Random(4);
    const points = Array.from({ length: 60 }, () => [rng.next() * 0.5]);
    const labels = points.map(([x]) => x < 0.25);
    const classifier = GlassClassifier.fit(points, labels, { seed: 1 });
    const at = (x: number) => {
      const post = classifier.gp!.posteriorStandardised([x]);
      return classifier.probability(post.mean, post.variance);
    };
    expect(at(0.05)).toBeGreaterThan(0.8);
    expect(at(0.45)).toBeLessThan(0.2);
    const far = at(5);
    expect(far).toBeGreaterThan(0.2);
    expect(far).toBeLessThan(0.8);
  });

  it('with one class only, is confident next to the labelled alloys and even odds away from them', () => {
    const points = [[0], [0.02], [0.05]];
    const one = GlassClassifier.fit(points, [true, true, true]);
    const at = (x: number) => {
      const post = one.gp!.posteriorStandardised([x]);
      return one.probability(post.mean, post.variance);
    };
    expect(at(0.02)).toBeGreaterThan(0.85);
    expect(at(0.15)).toBeLessThan(at(0.02));
    expect(at(1)).toBeCloseTo(0.5, 3);
    const none = GlassClassifier.fit(points, [false, false, false]);
    const post = none.gp!.posteriorStandardised([0.02]);
    expect(none.probability(post.mean, post.variance)).toBeLessThan(0.15);
    expect(GlassClassifier.fit([], []).probability(0, 0)).toBe(0.5);
  });
});
