/**
 * Gaussian-process regression (Rasmussen & Williams 2006, ch. 2 and 5) on standardised targets
 * with a Matern 5/2 kernel on Euclidean distance:
 *
 *   k(r) = s^2 (1 + sqrt5 r / l + 5 r^2 / (3 l^2)) exp(-sqrt5 r / l),   y = f(x) + eps, eps ~ N(0, s^2 g)
 *
 * Hyperparameters (lengthscale l, noise ratio g) maximise the log marginal likelihood over a grid,
 * with the signal variance s^2 profiled out in closed form (s^2 = y^T C^{-1} y / n for C = K/s^2 + g I)
 * unless it is fixed,
 * on at most `maxFitPoints` training points (a seeded subsample); the final model is factorised on
 * all points. Posterior mean and variance of f at new points; leave-one-out predictions in closed
 * form (R&W eq. 5.12), used to calibrate the glass classifier.
 */
import { Random } from '../util/random.js';
import { cholesky, logDeterminant, inverseDiagonal, solveLower, solveUpperTransposed } from './cholesky.js';

export interface GpHyperparameters {
  lengthscale: number;
  /** Signal variance s^2 of the standardised targets. */
  signalVariance: number;
  /** Noise variance / signal variance. */
  noiseRatio: number;
}

export interface GpFitOptions {
  lengthscales: readonly number[];
  noiseRatios: readonly number[];
  /** Hyperparameters are chosen on a seeded subsample of at most this many points. */
  maxFitPoints: number;
  seed: number;
  /** Skip the search and use these. */
  hyperparameters?: GpHyperparameters;
  /** Keep the signal variance at this value instead of profiling it (e.g. 1 for +-1 labels). */
  signalVariance?: number;
  /** Standardise the targets with this mean and scale instead of their own (a prior mean and scale). */
  standardisation?: { mean: number; scale: number };
}

/** Grid for inputs in fraction space (a 1 at.% change of one element moves 0.01). */
export const DEFAULT_GP_FIT: GpFitOptions = {
  lengthscales: [0.02, 0.035, 0.06, 0.1, 0.16, 0.25, 0.4, 0.7],
  noiseRatios: [0.003, 0.01, 0.03, 0.1, 0.3, 1],
  maxFitPoints: 250,
  seed: 1,
};

const SQRT5 = Math.sqrt(5);
const JITTER = 1e-8;
const LOG_2PI = Math.log(2 * Math.PI);

/** Matern 5/2 correlation (unit signal variance) at Euclidean distance r. */
export function matern52(r: number, lengthscale: number): number {
  const z = (SQRT5 * r) / lengthscale;
  return (1 + z + (z * z) / 3) * Math.exp(-z);
}

function distance(a: Float64Array, aOffset: number, b: ArrayLike<number>, bOffset: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) {
    const t = a[aOffset + d] - b[bOffset + d];
    s += t * t;
  }
  return Math.sqrt(s);
}

export class GaussianProcess {
  private constructor(
    /** Training inputs, row-major n x dim. */
    readonly x: Float64Array,
    readonly n: number,
    readonly dim: number,
    /** Standardised targets. */
    readonly z: Float64Array,
    readonly targetMean: number,
    readonly targetScale: number,
    readonly hyperparameters: GpHyperparameters,
    /** Cholesky factor of K + noise I (standardised units). */
    readonly chol: Float64Array,
    /** (K + noise I)^{-1} z. */
    readonly alpha: Float64Array,
    readonly logMarginalLikelihood: number,
  ) {}

  /** Fit to inputs (all of one dimension) and finite targets; at least one point. */
  static fit(inputs: readonly ArrayLike<number>[], targets: readonly number[], options: Partial<GpFitOptions> = {}): GaussianProcess {
    const o = { ...DEFAULT_GP_FIT, ...options };
    const n = inputs.length;
    if (n === 0 || targets.length !== n) throw new RangeError(`GaussianProcess.fit needs matching non-empty inputs and targets (${n}, ${targets.length})`);
    const dim = inputs[0].length;
    const x = new Float64Array(n * dim);
    inputs.forEach((p, i) => {
      if (p.length !== dim) throw new RangeError('GaussianProcess.fit: inputs of different dimensions');
      for (let d = 0; d < dim; d++) x[i * dim + d] = p[d];
    });
    if (!targets.every(Number.isFinite)) throw new RangeError('GaussianProcess.fit: non-finite target');
    const ownMean = targets.reduce((s, v) => s + v, 0) / n;
    const sd = Math.sqrt(targets.reduce((s, v) => s + (v - ownMean) ** 2, 0) / Math.max(1, n - 1));
    const mean = o.standardisation?.mean ?? ownMean;
    const scale = o.standardisation?.scale ?? (sd > 1e-12 && n > 1 ? sd : 1);
    const z = Float64Array.from(targets, (v) => (v - mean) / scale);

    const hyper = o.hyperparameters ?? GaussianProcess.searchHyperparameters(x, n, dim, z, o);
    const corr = GaussianProcess.correlation(x, n, dim, hyper.lengthscale, hyper.noiseRatio);
    let l = cholesky(corr, n);
    for (let extra = 1e-6; !l && extra < 1; extra *= 10) {
      for (let i = 0; i < n; i++) corr[i * n + i] += extra;
      l = cholesky(corr, n);
    }
    if (!l) throw new Error('GaussianProcess.fit: covariance not positive definite');
    // Correlation C = L L^T; covariance K = s^2 C. Profile s^2 on all points unless given.
    const cInvZ = solveUpperTransposed(l, n, solveLower(l, n, z));
    const quad = z.reduce((s, v, i) => s + v * cInvZ[i], 0);
    const signalVariance = options.hyperparameters ? hyper.signalVariance : (o.signalVariance ?? Math.max(quad / n, 0.05));
    const s = Math.sqrt(signalVariance);
    const chol = l.map((v) => v * s);
    const alpha = cInvZ.map((v) => v / signalVariance);
    const lml = -0.5 * quad / signalVariance - 0.5 * (logDeterminant(l, n) + n * Math.log(signalVariance)) - 0.5 * n * LOG_2PI;
    return new GaussianProcess(x, n, dim, z, mean, scale, { ...hyper, signalVariance }, chol, alpha, lml);
  }

  /** Correlation matrix of the Matern 5/2 kernel plus noiseRatio (and jitter) on the diagonal. */
  private static correlation(x: Float64Array, n: number, dim: number, lengthscale: number, noiseRatio: number): Float64Array {
    const c = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      c[i * n + i] = 1 + noiseRatio + JITTER;
      for (let j = 0; j < i; j++) {
        const v = matern52(distance(x, i * dim, x, j * dim, dim), lengthscale);
        c[i * n + j] = v;
        c[j * n + i] = v;
      }
    }
    return c;
  }

  /** Grid search of (lengthscale, noise ratio) by profiled log marginal likelihood on a subsample. */
  private static searchHyperparameters(x: Float64Array, n: number, dim: number, z: Float64Array, o: GpFitOptions): GpHyperparameters {
    let idx = Array.from({ length: n }, (_, i) => i);
    if (n > o.maxFitPoints) idx = new Random(o.seed).shuffle(idx).slice(0, o.maxFitPoints).sort((a, b) => a - b);
    const m = idx.length;
    const xs = new Float64Array(m * dim);
    const zs = new Float64Array(m);
    idx.forEach((i, k) => {
      for (let d = 0; d < dim; d++) xs[k * dim + d] = x[i * dim + d];
      zs[k] = z[i];
    });
    let best: GpHyperparameters & { lml: number } = { lengthscale: o.lengthscales[0], noiseRatio: o.noiseRatios.at(-1)!, signalVariance: 1, lml: -Infinity };
    for (const lengthscale of o.lengthscales) {
      const base = GaussianProcess.correlation(xs, m, dim, lengthscale, 0);
      for (const noiseRatio of o.noiseRatios) {
        const c = Float64Array.from(base);
        for (let i = 0; i < m; i++) c[i * m + i] += noiseRatio;
        const l = cholesky(c, m);
        if (!l) continue;
        const w = solveLower(l, m, zs);
        const quad = w.reduce((s, v) => s + v * v, 0);
        const s2 = o.signalVariance ?? Math.max(quad / m, 0.05);
        const lml = -0.5 * quad / s2 - 0.5 * (logDeterminant(l, m) + m * Math.log(s2)) - 0.5 * m * LOG_2PI;
        if (lml > best.lml) best = { lengthscale, noiseRatio, signalVariance: s2, lml };
      }
    }
    return { lengthscale: best.lengthscale, noiseRatio: best.noiseRatio, signalVariance: best.signalVariance };
  }

  /** Noise variance in standardised units. */
  get noiseVariance(): number {
    return this.hyperparameters.signalVariance * this.hyperparameters.noiseRatio;
  }

  /** Prior covariance k(a, b) in standardised units. */
  kernel(a: ArrayLike<number>, b: ArrayLike<number>): number {
    let s = 0;
    for (let d = 0; d < this.dim; d++) s += (a[d] - b[d]) ** 2;
    return this.hyperparameters.signalVariance * matern52(Math.sqrt(s), this.hyperparameters.lengthscale);
  }

  /** k(X, p): covariances of a point with every training point (standardised units). */
  crossCovariance(p: ArrayLike<number>): Float64Array {
    const { signalVariance, lengthscale } = this.hyperparameters;
    const k = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) k[i] = signalVariance * matern52(distance(this.x, i * this.dim, p, 0, this.dim), lengthscale);
    return k;
  }

  /**
   * Posterior of the standardised latent f at p: mean, variance and v = L^{-1} k(X, p)
   * (the factor fantasy conditioning reuses).
   */
  posteriorStandardised(p: ArrayLike<number>): { mean: number; variance: number; v: Float64Array } {
    const k = this.crossCovariance(p);
    let mean = 0;
    for (let i = 0; i < this.n; i++) mean += k[i] * this.alpha[i];
    const v = solveLower(this.chol, this.n, k);
    let vv = 0;
    for (let i = 0; i < this.n; i++) vv += v[i] * v[i];
    return { mean, variance: Math.max(this.hyperparameters.signalVariance - vv, 1e-12), v };
  }

  /** Posterior mean and variance of f (without observation noise) in the targets' units. */
  predict(points: readonly ArrayLike<number>[]): { mean: Float64Array; variance: Float64Array } {
    const mean = new Float64Array(points.length);
    const variance = new Float64Array(points.length);
    points.forEach((p, j) => {
      const post = this.posteriorStandardised(p);
      mean[j] = this.toTargetUnits(post.mean);
      variance[j] = post.variance * this.targetScale ** 2;
    });
    return { mean, variance };
  }

  /** Observation-noise variance in the targets' units. */
  get noiseVarianceInTargetUnits(): number {
    return this.noiseVariance * this.targetScale ** 2;
  }

  toTargetUnits(standardised: number): number {
    return this.targetMean + this.targetScale * standardised;
  }

  toStandardised(value: number): number {
    return (value - this.targetMean) / this.targetScale;
  }

  /** Leave-one-out predictive mean and variance (observation noise included), targets' units (R&W eq. 5.12). */
  leaveOneOut(): { mean: Float64Array; variance: Float64Array } {
    const diag = inverseDiagonal(this.chol, this.n);
    const mean = new Float64Array(this.n);
    const variance = new Float64Array(this.n);
    for (let i = 0; i < this.n; i++) {
      mean[i] = this.toTargetUnits(this.z[i] - this.alpha[i] / diag[i]);
      variance[i] = (1 / diag[i]) * this.targetScale ** 2;
    }
    return { mean, variance };
  }
}
