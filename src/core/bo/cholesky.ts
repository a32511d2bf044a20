/**
 * Cholesky factorisation of a symmetric positive-definite matrix and the triangular solves a
 * Gaussian process needs, on flat row-major Float64Arrays (faster than matrix objects for the
 * few hundred to a thousand training alloys a design iteration uses).
 */

/** Lower-triangular L with A = L L^T (row-major n x n), or null when A is not positive definite. */
export function cholesky(a: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j];
    for (let k = 0; k < j; k++) d -= l[rj + k] * l[rj + k];
    if (!(d > 0)) return null;
    d = Math.sqrt(d);
    l[rj + j] = d;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= l[ri + k] * l[rj + k];
      l[ri + j] = s / d;
    }
  }
  return l;
}

/** x = L^{-1} b (forward substitution). */
export function solveLower(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[ri + k] * x[k];
    x[i] = s / l[ri + i];
  }
  return x;
}

/** x = L^{-T} b (back substitution with the transpose). */
export function solveUpperTransposed(l: Float64Array, n: number, b: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(b);
  for (let i = n - 1; i >= 0; i--) {
    x[i] /= l[i * n + i];
    const xi = x[i];
    const ri = i * n;
    for (let k = 0; k < i; k++) x[k] -= l[ri + k] * xi;
  }
  return x;
}

/** log det(A) = 2 sum log L_ii. */
export function logDeterminant(l: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(l[i * n + i]);
  return 2 * s;
}

/** The diagonal of A^{-1} = L^{-T} L^{-1}: squared column norms of L^{-1}. */
export function inverseDiagonal(l: Float64Array, n: number): Float64Array {
  const diag = new Float64Array(n);
  const e = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    // Column j of L^{-1}: solve L x = e_j (x is zero above j).
    e.fill(0);
    e[j] = 1;
    let s = 0;
    const x = new Float64Array(n);
    for (let i = j; i < n; i++) {
      const ri = i * n;
      let v = e[i];
      for (let k = j; k < i; k++) v -= l[ri + k] * x[k];
      x[i] = v / l[ri + i];
      s += x[i] * x[i];
    }
    diag[j] = s;
  }
  return diag;
}
