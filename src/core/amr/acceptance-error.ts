/**
 * AMR's acceptance error: one "how wrong are the surrogates" number from their cross-validation,
 *
 *   error = ((1 - ROC AUC of the glass classifier) + yield RMSE / sd(yield) + elongation RMSE / sd(elongation)) / 3,
 *
 * each term a "lower is better" number on a comparable scale (an RMSE as large as the spread of the
 * measured values counts like a classifier no better than chance). AMR keeps a re-selected feature
 * set only if this error does not get worse; the design service and the design benchmark both
 * score with this function, so the benchmark measures the service's criterion. A classifier
 * without a defined AUC (one class only in a fold) counts as chance (0.5); a property without
 * spread (or values) is divided by 1.
 */
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import type { BundleCrossValidation } from '../surrogates/bundle.js';

/** The cross-validated metrics behind the acceptance error, as a model version records them. */
export type CrossValidatedMetrics = {
  classifierRocAuc: number;
  classifierAccuracy: number;
  yieldR2: number;
  yieldRmse: number;
  yieldMae: number;
  elongationR2: number;
  elongationRmse: number;
  elongationMae: number;
};

/** Population standard deviation, 1 when there is no spread (or no value). */
function spread(values: readonly number[]): number {
  if (values.length === 0) return 1;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length) || 1;
}

/** The acceptance error of a cross-validation on `alloys` (the alloys it validated on), with its metrics. */
export function acceptanceError(cv: BundleCrossValidation, alloys: readonly MeasuredAlloy[]): { error: number; metrics: CrossValidatedMetrics } {
  const yieldSd = spread(alloys.filter((a) => a.yieldStrengthMPa !== null).map((a) => a.yieldStrengthMPa!));
  const elongationSd = spread(alloys.filter((a) => a.elongationPct !== null).map((a) => a.elongationPct!));
  const auc = Number.isFinite(cv.classifier.mean.rocAuc) ? cv.classifier.mean.rocAuc : 0.5;
  const error = (1 - auc + cv.yieldStrength.mean.rmse / yieldSd + cv.elongation.mean.rmse / elongationSd) / 3;
  return {
    error,
    metrics: {
      classifierRocAuc: auc,
      classifierAccuracy: cv.classifier.mean.accuracy,
      yieldR2: cv.yieldStrength.mean.r2,
      yieldRmse: cv.yieldStrength.mean.rmse,
      yieldMae: cv.yieldStrength.mean.mae,
      elongationR2: cv.elongation.mean.r2,
      elongationRmse: cv.elongation.mean.rmse,
      elongationMae: cv.elongation.mean.mae,
    },
  };
}
