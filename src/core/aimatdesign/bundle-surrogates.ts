/**
 * Adapter from a trained surrogate bundle (src/core/surrogates/bundle.ts, or anything with the
 * same two members) to the RL port: featurize fraction vectors over the campaign's elements with
 * the chemistry's fast featurizer, then one batch prediction.
 */
import { makeFeaturizer } from '../chemistry/descriptors.js';
import type { SurrogatePredictions, Surrogates } from '../domain/predictions.js';

export interface BundleLike {
  readonly featureNames: readonly string[];
  predictFeatures(X: ArrayLike<number>[]): SurrogatePredictions;
}

export function surrogatesFromBundle(bundle: BundleLike, elements: readonly string[]): Surrogates & { bundle: BundleLike } {
  const featurize = makeFeaturizer(bundle.featureNames, elements);
  return {
    bundle,
    predictFractions(states) {
      return bundle.predictFeatures(states.map((x) => featurize(x)));
    },
  };
}
