/** The standard normal distribution: density, CDF, and the mean of a normal below a threshold. */

/** z of the two-sided 95 % interval of a normal: mean ± Z95 sd. */
export const Z95 = 1.959963984540054;

/** Standard normal density. */
export function normalPdf(z: number): number {
  return Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 on erf; absolute error below 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(z / Math.SQRT2));
  const erf = 1 - (((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t) * Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * E[Y | Y < threshold] for Y ~ N(mean, sd^2): mean - sd * pdf(a) / cdf(a), a = (threshold - mean) / sd.
 * Far below the mean (a < -5) the ratio uses its asymptotic series, where the CDF underflows.
 */
export function truncatedMeanBelow(mean: number, sd: number, threshold: number): number {
  if (!(sd > 0)) return Math.min(mean, threshold);
  const a = (threshold - mean) / sd;
  const ratio = a < -5 ? -a / (1 - 1 / (a * a) + 3 / (a * a * a * a)) : normalPdf(a) / Math.max(normalCdf(a), 1e-300);
  return Math.min(mean - sd * ratio, threshold);
}
