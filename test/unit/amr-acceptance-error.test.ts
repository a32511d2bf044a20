import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_NAMES, elementFractionFeatures } from '../../src/core/chemistry/descriptors.js';
import type { MeasuredAlloy } from '../../src/core/chemistry/types.js';
import { evaluateFeatureSet } from '../../src/core/design/bundle-refinement.js';
import { acceptanceError } from '../../src/core/refinement/acceptance-error.js';
import { SurrogateBundle } from '../../src/core/surrogates/bundle.js';
import { Random } from '../../src/core/util/random.js';

/** Zr-Cu-Al-Ni alloys whose glass label and properties follow the fractions (some values missing, as in real data). */
function alloys(n: number, seed: number): MeasuredAlloy[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, (_, i) => {
    const zr = rng.uniform(40, 70);
    const al = rng.uniform(0, 15);
    const ni = rng.uniform(0, 10);
    return {
      composition: { Zr: zr, Cu: 100 - zr - al - ni, Al: al, Ni: ni },
      isGlass: zr < 60 && al > 4,
      yieldStrengthMPa: i % 5 === 0 ? null : 1200 + 15 * al + 8 * ni - 3 * (zr - 55) + rng.normal(0, 5),
      elongationPct: i % 3 === 0 ? null : Math.max(0, 2 + 0.2 * (zr - 50) - 0.1 * al + rng.normal(0, 0.1)),
    };
  });
}

const popSd = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};

describe("AMR's acceptance error", () => {
  const data = alloys(120, 3);
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
    expect(metrics).toEqual({
      classifierRocAuc: auc,
      classifierAccuracy: cv.classifier.mean.accuracy,
      yieldR2: cv.yieldStrength.mean.r2,
      yieldRmse: cv.yieldStrength.mean.rmse,
      yieldMae: cv.yieldStrength.mean.mae,
      elongationR2: cv.elongation.mean.r2,
      elongationRmse: cv.elongation.mean.rmse,
      elongationMae: cv.elongation.mean.mae,
    });
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
