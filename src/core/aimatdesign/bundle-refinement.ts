/**
 * AMR's retrain function for the real surrogate bundle (the design benchmark's): retrain with the
 * given features and score the candidate by cross-validation with AMR's acceptance error
 * (src/core/amr/acceptance-error.ts, the design service's criterion too), so AMR keeps it
 * only if the error does not get worse.
 */
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import { acceptanceError } from '../amr/acceptance-error.js';
import type { RetrainResult } from '../amr/amr.js';
import { SurrogateBundle } from '../surrogates/bundle.js';
import { surrogatesFromBundle } from './bundle-surrogates.js';

/** Cross-validated error of a feature set (for AMR's "before"). */
export function evaluateFeatureSet(alloys: MeasuredAlloy[], featureNames: readonly string[], seed: number, folds = 5) {
  return acceptanceError(SurrogateBundle.crossValidate(alloys, { featureNames, seed, folds }), alloys);
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
