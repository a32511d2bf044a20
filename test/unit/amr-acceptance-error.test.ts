import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_NAMES, elementFractionFeatures } from '../../src/core/chemistry/descriptors.js';
import { evaluateFeatureSet } from '../../src/core/aimatdesign/bundle-refinement.js';
import { acceptanceError } from '../../src/core/amr/acceptance-error.js';
import { SurrogateBundle } from '../../src/core/surrogates/bundle.js';
import { syntheticAlloys } from './surrogates-helpers.js';

const popSd = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};

describe("AMR's acceptance error", () => {
  const data = syntheticAlloys(120, 3);
  const elements = ['Zr', 'Cu', 'Al', 'Ni'];
  const informative = [...elementFractionFeatures(elements), ...DESCRIPTOR_NAMES];
  const cv = SurrogateBundle.crossValidate(data, { featureNames: informative, seed: 5, folds: 3 });

  it('is the mean of (1 - AUC), yield RMSE / sd and elongation RMSE / sd of the cross-validation, with its metrics', () => {
    const { error, metrics } = acceptanceError(cv, data);
    const yieldSd = popSd(data.filter((a) => a.yieldStrengthMPa !== null).map((a) => a.yieldStrengthMPa!));
    const elongationSd = popSd(data.filter((a) => a.elongationPct !== null).map((a) => a.elongationPct!));
    const auc = cv.classifier.mean.rocAuc;
    expect(auc).toBeGreaterThan(0.5);
    expect(error).toBeCloseTo((1 - auc + cv.yieldStrength.mean.rmse / yieldSd + cv.elongation.mean.rmse / elongationSd) / 3, 12);
    expect(error).toBeGreaterThan(0);
    expect(error).toBeLessThan(1);
    // The metrics a model version records: the same cross-validation's, the undefined AUC aside.
    expect([metrics.classifierRocAuc, metrics.yieldRmse, metrics.elongationR2]).toEqual([auc, cv.yieldStrength.mean.rmse, cv.elongation.mean.r2]);
  });

  it('counts a classifier without a defined AUC as chance', () => {
    const undefinedAuc = { ...cv, classifier: { ...cv.classifier, mean: { ...cv.classifier.mean, rocAuc: Number.NaN } } };
    const { error, metrics } = acceptanceError(undefinedAuc, data);
    const withChance = acceptanceError({ ...cv, classifier: { ...cv.classifier, mean: { ...cv.classifier.mean, rocAuc: 0.5 } } }, data);
    expect(Number.isFinite(error)).toBe(true);
    expect(error).toBe(withChance.error);
    expect(metrics.classifierRocAuc).toBe(0.5);
  });

  it('is what the design benchmark scores feature sets with, and ranks an uninformative set worse', () => {
    // The benchmark's evaluateFeatureSet: the same cross-validation scored by the same function.
    expect(evaluateFeatureSet(data, informative, 5, 3).error).toBe(acceptanceError(cv, data).error);
    const poor = evaluateFeatureSet(data, ['dSmix'], 5, 3).error;
    expect(poor).toBeGreaterThan(acceptanceError(cv, data).error);
  });
});
