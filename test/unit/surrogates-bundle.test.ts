import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_NAMES, elementFractionFeatures, featurize } from '../../src/core/chemistry/descriptors.js';
import { SurrogateBundle } from '../../src/core/surrogates/bundle.js';
import { syntheticAlloys } from './surrogates-helpers.js';

const featureNames = [...DESCRIPTOR_NAMES, ...elementFractionFeatures(['Zr', 'Cu', 'Al', 'Ni'])];
const options = {
  featureNames,
  regressorFeatureNames: DESCRIPTOR_NAMES,
  classifier: { iterations: 100, learningRate: 0.2, depth: 4 },
  regressor: { ensembles: 3, hiddenUnits: 32, layers: 3 },
  yieldBoosting: { iterations: 150, learningRate: 0.1, depth: 4 },
  seed: 11,
};

describe('SurrogateBundle', () => {
  const alloys = syntheticAlloys(240, 1);
  const bundle = SurrogateBundle.train(alloys, options);
  const test = syntheticAlloys(60, 2);

  it('predicts columnar arrays that track the synthetic truth', () => {
    const p = bundle.predict(test.map((a) => a.composition));
    for (const key of ['pGlass', 'yieldMean', 'yieldStd', 'elongationMean', 'elongationStd'] as const) {
      expect(p[key]).toBeInstanceOf(Float64Array);
      expect(p[key].length).toBe(test.length);
    }
    const labelled = test.map((a, i) => ({ a, i })).filter(({ a }) => a.isGlass !== null);
    const correct = labelled.filter(({ a, i }) => (p.pGlass[i] >= 0.5) === a.isGlass).length;
    expect(correct / labelled.length).toBeGreaterThan(0.85);
    const withYield = test.map((a, i) => ({ a, i })).filter(({ a }) => a.yieldStrengthMPa !== null);
    const mae = withYield.reduce((s, { a, i }) => s + Math.abs(a.yieldStrengthMPa! - p.yieldMean[i]), 0) / withYield.length;
    expect(mae).toBeLessThan(30);
    expect(p.elongationMean.every((v) => v >= 0)).toBe(true);
    expect(p.yieldStd.every((v) => v >= 0)).toBe(true);
  });

  it('predictFeatures on featurized rows equals predict on compositions', () => {
    const comps = test.map((a) => a.composition);
    const a = bundle.predict(comps);
    const b = bundle.predictFeatures(featurize(comps, featureNames));
    expect(Array.from(b.pGlass)).toEqual(Array.from(a.pGlass));
    expect(Array.from(b.yieldMean)).toEqual(Array.from(a.yieldMean));
  });

  it('round-trips through JSON with bit-identical predictions', () => {
    const back = SurrogateBundle.fromJSON(JSON.parse(JSON.stringify(bundle)));
    const comps = test.map((a) => a.composition);
    const a = bundle.predict(comps);
    const b = back.predict(comps);
    for (const key of Object.keys(a) as (keyof typeof a)[]) expect(Array.from(b[key])).toEqual(Array.from(a[key]));
  });

  it('same seed reproduces the bundle, another seed does not', () => {
    const comps = test.slice(0, 10).map((a) => a.composition);
    const again = SurrogateBundle.train(alloys, options).predict(comps);
    const other = SurrogateBundle.train(alloys, { ...options, seed: 12 }).predict(comps);
    const base = bundle.predict(comps);
    expect(Array.from(again.yieldMean)).toEqual(Array.from(base.yieldMean));
    expect(Array.from(again.pGlass)).toEqual(Array.from(base.pGlass));
    expect(Array.from(other.yieldMean)).not.toEqual(Array.from(base.yieldMean));
  });

  it('chooses the yield blend from a given cross-validation of the same alloys, and refuses one of other alloys', () => {
    const cv = SurrogateBundle.crossValidate(alloys, { ...options, folds: 3 });
    expect(cv.yieldStrength.foldWeights).toHaveLength(3);
    expect(cv.yieldStrength.oofStd.every((s) => s > 0)).toBe(true);
    const reused = SurrogateBundle.train(alloys, { ...options, cv });
    expect(reused.yieldRegressor.innerMae).toHaveLength(4);
    expect(() => SurrogateBundle.train(alloys.slice(0, 200), { ...options, cv })).toThrow(/other alloys/);
  });

  it('cross-validates each model on its own rows', () => {
    const cv = SurrogateBundle.crossValidate(alloys, { ...options, folds: 3 });
    expect(cv.classifier.n).toBe(alloys.filter((a) => a.isGlass !== null).length);
    expect(cv.yieldStrength.n).toBe(alloys.filter((a) => a.yieldStrengthMPa !== null).length);
    expect(cv.classifier.mean.rocAuc).toBeGreaterThan(0.9);
    expect(cv.yieldStrength.mean.r2).toBeGreaterThan(0.8);
    expect(cv.elongation.perFold.length).toBe(3);
  });
});
