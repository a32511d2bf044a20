/**
 * AMR's retrain function for the real surrogate bundle: retrain with the given features and
 * score the candidate by cross-validation, so AMR can keep it only if the error does not get worse.
 * cvError = mean of (1 - ROC AUC of the glass classifier), RMSE / std of yield strength and
 * RMSE / std of elongation (each a "lower is better" number on a comparable scale).
 */
import type { MeasuredAlloy } from '../chemistry/types.js';
import type { RetrainResult } from '../refinement/amr.js';
import { SurrogateBundle, type BundleCrossValidation } from '../surrogates/bundle.js';
import { surrogatesFromBundle } from './bundle-surrogates.js';

function std(values: number[]): number {
  const m = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, values.length)) || 1;
}

export function surrogateCvError(cv: BundleCrossValidation, alloys: readonly MeasuredAlloy[]): { error: number; metrics: Record<string, number> } {
  const yieldSd = std(alloys.filter((a) => a.yieldStrengthMPa !== null).map((a) => a.yieldStrengthMPa!));
  const elongSd = std(alloys.filter((a) => a.elongationPct !== null).map((a) => a.elongationPct!));
  const auc = cv.classifier.mean.rocAuc;
  const metrics = {
    classifierRocAuc: auc,
    yieldRmse: cv.yieldStrength.mean.rmse,
    yieldR2: cv.yieldStrength.mean.r2,
    elongationRmse: cv.elongation.mean.rmse,
    elongationR2: cv.elongation.mean.r2,
  };
  return { error: (1 - auc + cv.yieldStrength.mean.rmse / yieldSd + cv.elongation.mean.rmse / elongSd) / 3, metrics };
}

/** Cross-validated error of a feature set (for AMR's "before"). */
export function evaluateFeatureSet(alloys: MeasuredAlloy[], featureNames: readonly string[], seed: number, folds = 5) {
  return surrogateCvError(SurrogateBundle.crossValidate(alloys, { featureNames, seed, folds }), alloys);
}

export function makeBundleRetrainer(opts: {
  alloys: MeasuredAlloy[];
  elements: readonly string[];
  seed: number;
  folds?: number;
}): (featureNames: string[]) => Promise<RetrainResult & { bundle: SurrogateBundle }> {
  return async (featureNames) => {
    const cv = evaluateFeatureSet(opts.alloys, featureNames, opts.seed, opts.folds ?? 5);
    const bundle = SurrogateBundle.train(opts.alloys, { featureNames, seed: opts.seed });
    return { surrogates: surrogatesFromBundle(bundle, opts.elements), featureNames, cvError: cv.error, metrics: cv.metrics, bundle };
  };
}
