/**
 * A Gaussian-process posterior over a fixed set of candidates that can be conditioned on
 * fantasy observations one at a time: pending experiments and earlier picks of the same batch
 * (kriging believer / constant liar, Ginsbourger et al. 2010). Each fantasy is a rank-one update
 * (an incremental Cholesky step), so conditioning costs O(m (n + j)) for m candidates, n training
 * points and j earlier fantasies, instead of refitting the model.
 *
 * With v_a = L^{-1} k(X, a), the posterior covariance after j fantasies f_0..f_{j-1} is
 *   cov_j(a, b) = k(a, b) - v_a . v_b - sum_{l<j} u_l(a) u_l(b),
 *   u_l(a) = cov_l(a, f_l) / d_l,   d_l = sqrt(var_l(f_l) + noise),
 * and the mean moves by u_l(a) (y_l - mean_l(f_l)) / d_l. Standardised units throughout.
 */
import type { GaussianProcess } from './gaussian-process.js';

interface Fantasy {
  point: Float64Array;
  v: Float64Array;
  /** u_l(f) for the earlier fantasies l. */
  u: Float64Array;
  d: number;
  /** (y - mean(f)) / d. */
  r: number;
}

export class FantasyPosterior {
  /** Current posterior mean of f at each candidate. */
  readonly mean: Float64Array;
  /** Current posterior variance of f (no observation noise) at each candidate. */
  readonly variance: Float64Array;
  private readonly v: Float64Array[];
  private readonly u: Float64Array[] = [];
  private readonly fantasies: Fantasy[] = [];

  constructor(
    readonly gp: GaussianProcess,
    readonly candidates: readonly Float64Array[],
  ) {
    const m = candidates.length;
    this.mean = new Float64Array(m);
    this.variance = new Float64Array(m);
    this.v = candidates.map((c, i) => {
      const post = gp.posteriorStandardised(c);
      this.mean[i] = post.mean;
      this.variance[i] = post.variance;
      return post.v;
    });
  }

  get fantasyCount(): number {
    return this.fantasies.length;
  }

  /** Posterior of f at any point under the fantasies so far. */
  at(point: ArrayLike<number>): { mean: number; variance: number } {
    const { mean, variance } = this.posteriorAt(Float64Array.from(point));
    return { mean, variance };
  }

  private posteriorAt(point: Float64Array): { mean: number; variance: number; v: Float64Array; u: Float64Array } {
    const post = this.gp.posteriorStandardised(point);
    const u = new Float64Array(this.fantasies.length);
    let mean = post.mean;
    let variance = post.variance;
    this.fantasies.forEach((f, l) => {
      let cov = this.gp.kernel(point, f.point) - dot(post.v, f.v);
      for (let i = 0; i < l; i++) cov -= u[i] * f.u[i];
      u[l] = cov / f.d;
      mean += u[l] * f.r;
      variance -= u[l] * u[l];
    });
    return { mean, variance: Math.max(variance, 1e-12), v: post.v, u };
  }

  /**
   * Condition on an observation at `point` whose value is chosen from the current posterior there:
   * `value(mean, predictiveVariance)` (standardised; predictive = latent + noise). Returns the value used.
   */
  addFantasy(point: ArrayLike<number>, value: (mean: number, predictiveVariance: number) => number): number {
    const p = Float64Array.from(point);
    const post = this.posteriorAt(p);
    const noise = this.gp.noiseVariance;
    const d = Math.sqrt(post.variance + noise);
    const y = value(post.mean, post.variance + noise);
    const r = (y - post.mean) / d;
    const j = this.fantasies.length;
    const uj = new Float64Array(this.candidates.length);
    for (let c = 0; c < this.candidates.length; c++) {
      let cov = this.gp.kernel(this.candidates[c], p) - dot(this.v[c], post.v);
      for (let l = 0; l < j; l++) cov -= this.u[l][c] * post.u[l];
      const uc = cov / d;
      uj[c] = uc;
      this.mean[c] += uc * r;
      this.variance[c] = Math.max(this.variance[c] - uc * uc, 1e-12);
    }
    this.u.push(uj);
    this.fantasies.push({ point: p, v: post.v, u: post.u, d, r });
    return y;
  }
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
