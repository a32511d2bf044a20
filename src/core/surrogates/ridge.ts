/**
 * Ridge regression on standardized inputs: the linear baseline, and the closed-form solver that
 * edRVFL's readouts reuse.
 */
import { CholeskyDecomposition, Matrix } from 'ml-matrix';
import type { FeatureMatrix } from './types.js';

export interface RidgeConfig {
  /** L2 penalty on the standardized coefficients (the intercept is not penalised). */
  lambda: number;
}

export const DEFAULT_RIDGE_CONFIG: RidgeConfig = {
  lambda: 1.0,
};

/**
 * Solve min ||D B - Y||^2 + lambda ||B||^2 for B (columns of Y are independent targets).
 * Primal (D'D + lambda I)^-1 D'Y costs O(p^3), dual D'(DD' + lambda I)^-1 Y costs O(n^3):
 * pick whichever system is smaller. Both are symmetric positive definite for lambda > 0, so Cholesky.
 */
export function solveRidge(D: Matrix, Y: Matrix, lambda: number): Matrix {
  if (!(lambda > 0)) throw new RangeError('ridge lambda must be > 0');
  const n = D.rows;
  const p = D.columns;
  if (p <= n) {
    const A = D.transpose().mmul(D);
    for (let j = 0; j < p; j++) A.set(j, j, A.get(j, j) + lambda);
    return new CholeskyDecomposition(A).solve(D.transpose().mmul(Y));
  }
  const K = D.mmul(D.transpose());
  for (let i = 0; i < n; i++) K.set(i, i, K.get(i, i) + lambda);
  const alpha = new CholeskyDecomposition(K).solve(Y);
  return D.transpose().mmul(alpha);
}

/** Column means and standard deviations; constant columns get std 1 so they standardize to 0. */
export function columnStats(X: FeatureMatrix): { mean: Float64Array; std: Float64Array } {
  const n = X.length;
  const p = n > 0 ? X[0].length : 0;
  const mean = new Float64Array(p);
  const std = new Float64Array(p);
  for (const row of X) for (let j = 0; j < p; j++) mean[j] += row[j];
  for (let j = 0; j < p; j++) mean[j] /= n;
  for (const row of X) for (let j = 0; j < p; j++) std[j] += (row[j] - mean[j]) ** 2;
  for (let j = 0; j < p; j++) {
    const s = Math.sqrt(std[j] / n);
    std[j] = s > 1e-12 ? s : 1;
  }
  return { mean, std };
}

export interface RidgeJSON {
  kind: 'ridge';
  config: RidgeConfig;
  xMean: number[];
  xStd: number[];
  coef: number[];
  intercept: number;
}

export class RidgeRegression {
  readonly config: RidgeConfig;
  private xMean: Float64Array = new Float64Array(0);
  private xStd: Float64Array = new Float64Array(0);
  private coef: Float64Array = new Float64Array(0);
  private intercept = 0;

  constructor(config: Partial<RidgeConfig> = {}) {
    this.config = { ...DEFAULT_RIDGE_CONFIG, ...config };
  }

  fit(X: FeatureMatrix, y: ArrayLike<number>): this {
    if (X.length !== y.length || X.length === 0) throw new RangeError('X and y must be non-empty and aligned');
    const { mean, std } = columnStats(X);
    this.xMean = mean;
    this.xStd = std;
    const p = mean.length;
    let yMean = 0;
    for (let i = 0; i < y.length; i++) yMean += y[i];
    yMean /= y.length;
    // Centering X and y removes the intercept from the penalised problem.
    const D = new Matrix(X.length, p);
    const Y = new Matrix(X.length, 1);
    for (let i = 0; i < X.length; i++) {
      for (let j = 0; j < p; j++) D.set(i, j, (X[i][j] - mean[j]) / std[j]);
      Y.set(i, 0, y[i] - yMean);
    }
    this.coef = Float64Array.from(solveRidge(D, Y, this.config.lambda).getColumn(0));
    this.intercept = yMean;
    return this;
  }

  predict(X: FeatureMatrix): Float64Array {
    const out = new Float64Array(X.length);
    for (let i = 0; i < X.length; i++) {
      let s = this.intercept;
      const row = X[i];
      for (let j = 0; j < this.coef.length; j++) s += ((row[j] - this.xMean[j]) / this.xStd[j]) * this.coef[j];
      out[i] = s;
    }
    return out;
  }

  toJSON(): RidgeJSON {
    return {
      kind: 'ridge',
      config: { ...this.config },
      xMean: Array.from(this.xMean),
      xStd: Array.from(this.xStd),
      coef: Array.from(this.coef),
      intercept: this.intercept,
    };
  }

  static fromJSON(json: RidgeJSON): RidgeRegression {
    const m = new RidgeRegression(json.config);
    m.xMean = Float64Array.from(json.xMean);
    m.xStd = Float64Array.from(json.xStd);
    m.coef = Float64Array.from(json.coef);
    m.intercept = json.intercept;
    return m;
  }
}
