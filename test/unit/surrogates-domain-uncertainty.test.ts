import { describe, expect, it } from 'vitest';
import { DESCRIPTOR_NAMES, elementFractionFeatures } from '../../src/core/chemistry/descriptors.js';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { surrogatesFromBundle } from '../../src/core/aimatdesign/bundle-surrogates.js';
import { SurrogateBundle } from '../../src/core/surrogates/bundle.js';
import {
  calibrateDomainUncertainty,
  fitGlassCalibration,
  fitPropertyCalibration,
  intervalCoverage,
  MAX_COMPOSITION_DISTANCE,
  outOfFoldNearestDistance,
  withDomainUncertainty,
  type DomainCalibration,
} from '../../src/core/surrogates/domain-uncertainty.js';
import type { Surrogates } from '../../src/core/domain/predictions.js';
import { Random } from '../../src/core/util/random.js';

/** Zr-Cu-Al-Ni alloys; yield a smooth function of the fractions plus noise of sd 40 MPa. */
function syntheticAlloys(n: number, seed: number): MeasuredAlloy[] {
  const rng = new Random(seed);
  return Array.from({ length: n }, () => {
    const zr = rng.uniform(40, 70);
    const al = rng.uniform(0, 15);
    const ni = rng.uniform(0, 10);
    const cu = 100 - zr - al - ni;
    return {
      composition: { Zr: zr, Cu: cu, Al: al, Ni: ni },
      isGlass: zr < 60 && al > 4,
      yieldStrengthMPa: 1200 + 15 * al + 8 * ni - 3 * (zr - 55) + 40 * Math.sin(al / 2) + rng.normal(0, 40),
      elongationPct: Math.max(0, 2 + 0.2 * (zr - 50) - 0.1 * al + rng.normal(0, 0.5)),
    };
  });
}

const ELEMENTS = ['Zr', 'Cu', 'Al', 'Ni', 'Ti'];
const featureNames = [...DESCRIPTOR_NAMES, ...elementFractionFeatures(ELEMENTS)];
const bundleOptions = {
  featureNames,
  regressorFeatureNames: DESCRIPTOR_NAMES,
  classifier: { iterations: 60, learningRate: 0.2, depth: 4 },
  regressor: { ensembles: 3, hiddenUnits: 32, layers: 3 },
  yieldBoosting: { iterations: 150, learningRate: 0.1, depth: 4 },
  seed: 5,
};
const fractions = (c: Record<string, number>) => Float64Array.from(ELEMENTS, (el) => (c[el] ?? 0) / 100);

/** A fake base model (constant predictions) to test the wrapper on its own. */
const constantBase: Surrogates = {
  predictFractions: (states) => ({
    pGlass: new Float64Array(states.length).fill(0.9),
    yieldMean: new Float64Array(states.length).fill(1500),
    yieldStd: new Float64Array(states.length).fill(10),
    elongationMean: new Float64Array(states.length).fill(3),
    elongationStd: new Float64Array(states.length).fill(0.1),
  }),
};

describe('domain-aware uncertainty', () => {
  it('covers about 80 % and 95 % of held-out alloys of a synthetic function with its intervals', () => {
    const training = syntheticAlloys(260, 1);
    const heldOut = syntheticAlloys(300, 2);
    const cv = SurrogateBundle.crossValidate(training, { ...bundleOptions, folds: 5 });
    const bundle = SurrogateBundle.train(training, { ...bundleOptions, cv });
    const calibration = calibrateDomainUncertainty(training, { featureNames, seed: 5, folds: 5, cv });
    // JSON-serialisable: what is stored is what is applied.
    const stored = JSON.parse(JSON.stringify(calibration)) as DomainCalibration;
    const surrogates = withDomainUncertainty(surrogatesFromBundle(bundle, ELEMENTS), training, ELEMENTS, stored);
    const p = surrogates.predictFractions(heldOut.map((a) => fractions(a.composition)));
    const y = heldOut.map((a) => a.yieldStrengthMPa!);
    const calibrated = intervalCoverage(y, p.yieldMean, p.yieldStd);
    expect(calibrated.coverage80).toBeGreaterThan(0.72);
    expect(calibrated.coverage80).toBeLessThan(0.88);
    expect(calibrated.coverage95).toBeGreaterThan(0.9);
    expect(calibrated.coverage95).toBeLessThan(0.99);
    // The model's own spread alone is far too narrow here (ensemble spread is not noise).
    const raw = intervalCoverage(y, p.yieldMean, surrogatesFromBundle(bundle, ELEMENTS).predictFractions(heldOut.map((a) => fractions(a.composition))).yieldStd);
    expect(raw.coverage80).toBeLessThan(calibrated.coverage80 - 0.2);
  });

  it('fits a spread that grows with distance when errors do, and calibrates it', () => {
    const rng = new Random(3);
    const n = 600;
    const distance = Float64Array.from({ length: n }, () => rng.uniform(0, 20));
    const modelStd = Float64Array.from({ length: n }, () => rng.uniform(5, 15));
    const mean = new Float64Array(n).fill(1000);
    const y = Float64Array.from({ length: n }, (_, i) => 1000 + rng.normal(0, 20 + 10 * distance[i]));
    const fit = fitPropertyCalibration(y, mean, modelStd, distance);
    expect(fit.slope).toBeGreaterThan(4);
    expect(Math.abs(fit.outOfFold.calibrated.coverage80 - 0.8)).toBeLessThanOrEqual(0.025);
    expect(Math.abs(fit.outOfFold.calibrated.coverage95 - 0.95)).toBeLessThanOrEqual(0.015);
    expect(fit.outOfFold.calibrated.nll).toBeLessThan(fit.outOfFold.withoutDistance.nll);
    // On fresh draws from the same process the intervals still cover about nominal.
    const d2 = Float64Array.from({ length: n }, () => rng.uniform(0, 20));
    const y2 = Float64Array.from({ length: n }, (_, i) => 1000 + rng.normal(0, 20 + 10 * d2[i]));
    const std2 = Float64Array.from({ length: n }, (_, i) => Math.hypot(fit.modelScale * modelStd[i], fit.offset + fit.slope * d2[i]));
    const fresh = intervalCoverage(y2, mean, std2);
    expect(Math.abs(fresh.coverage80 - 0.8)).toBeLessThan(0.06);
    expect(Math.abs(fresh.coverage95 - 0.95)).toBeLessThan(0.04);
  });

  it('grows the spread with distance from the reference alloys and shrinks P(glass) to the far-field prior', () => {
    const reference = syntheticAlloys(80, 4);
    const calibration: DomainCalibration = {
      kind: 'domain-calibration',
      yieldStrength: fitPropertyCalibration([0, 10, -10, 25, -30], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1], [0, 1, 2, 3, 4]),
      elongation: fitPropertyCalibration([0, 1, -1, 2, -3], [0, 0, 0, 0, 0], [0.1, 0.1, 0.1, 0.1, 0.1], [0, 1, 2, 3, 4]),
      glass: { farFieldPGlass: 0.05, length: 10, n: 0, outOfFold: { logLoss: 0, calibratedLogLoss: 0 } },
    };
    calibration.yieldStrength.slope = 20; // make the distance term certain to matter
    const wrapped = withDomainUncertainty(constantBase, reference, ELEMENTS, calibration);
    // Walk from a measured alloy toward pure Ti (an element no reference alloy has).
    const start = fractions(reference[0].composition);
    const ti = fractions({ Ti: 100 });
    const path = [0, 0.1, 0.3, 0.6, 1].map((t) => start.map((v, j) => (1 - t) * v + t * ti[j]));
    const d = wrapped.nearestDistance(path);
    const p = wrapped.predictFractions(path);
    expect(d[0]).toBeCloseTo(0, 9);
    for (let i = 1; i < path.length; i++) {
      expect(d[i]).toBeGreaterThan(d[i - 1]);
      expect(p.yieldStd[i]).toBeGreaterThan(p.yieldStd[i - 1]);
      expect(p.elongationStd[i]).toBeGreaterThanOrEqual(p.elongationStd[i - 1]);
      expect(Math.abs(p.pGlass[i] - 0.05)).toBeLessThanOrEqual(Math.abs(p.pGlass[i - 1] - 0.05));
    }
    expect(p.pGlass[0]).toBeCloseTo(0.9, 9);
    expect(p.pGlass[1]).toBeLessThan(0.9);
    expect(p.pGlass[4]).toBeCloseTo(0.05, 3);
    expect(p.yieldMean).toEqual(constantBase.predictFractions(path).yieldMean);
  });

  it('fits the glass length and far-field prior from out-of-fold labels', () => {
    // Confident model near the data, wrong far from it, where glasses are rare.
    const rng = new Random(9);
    const n = 2000;
    const distance = Float64Array.from({ length: n }, (_, i) => (i < 1600 ? rng.uniform(0, 3) : rng.uniform(10, 40)));
    const pModel = Float64Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0.9 : 0.1));
    const labels = Float64Array.from({ length: n }, (_, i) => (i < 1600 ? Number(rng.next() < pModel[i]) : Number(rng.next() < 0.05)));
    const g = fitGlassCalibration(labels, pModel, distance);
    expect(g.farFieldPGlass).toBeGreaterThan(0.01);
    expect(g.farFieldPGlass).toBeLessThan(0.12);
    expect(g.length).not.toBeNull();
    expect(g.length!).toBeGreaterThan(2);
    expect(g.length!).toBeLessThan(15);
    expect(g.outOfFold.calibratedLogLoss).toBeLessThan(g.outOfFold.logLoss - 0.05);
  });

  it('finds the same nearest distances as a brute-force search', () => {
    const rng = new Random(12);
    const pool = ['Zr', 'Cu', 'Al', 'Ni', 'Ti', 'Be', 'Fe'];
    const reference: MeasuredAlloy[] = Array.from({ length: 400 }, (_, i) => {
      const c: Record<string, number> = {};
      for (const el of rng.shuffle(pool.slice()).slice(0, 2 + rng.int(4))) c[el] = rng.uniform(1, 60);
      return { composition: c, isGlass: i % 3 === 0 ? null : true, yieldStrengthMPa: i % 2 === 0 ? 1500 : null, elongationPct: null };
    });
    const wrapped = withDomainUncertainty(constantBase, reference, ELEMENTS, {
      kind: 'domain-calibration',
      yieldStrength: fitPropertyCalibration([0, 1, 2], [0, 0, 0], [1, 1, 1], [0, 1, 2]),
      elongation: fitPropertyCalibration([0, 1, 2], [0, 0, 0], [1, 1, 1], [0, 1, 2]),
      glass: { farFieldPGlass: 0.1, length: null, n: 0, outOfFold: { logLoss: 0, calibratedLogLoss: 0 } },
    });
    const states = Array.from({ length: 50 }, () => {
      const v = Float64Array.from(ELEMENTS, () => (rng.next() < 0.6 ? rng.uniform(0, 1) : 0));
      const t = v.reduce((a, b) => a + b, 0) || 1;
      return v.map((x) => x / t);
    });
    const brute = (keep: (a: MeasuredAlloy) => boolean) =>
      states.map((st) =>
        Math.min(
          ...reference.filter(keep).map((a) => {
            const total = Object.values(a.composition).reduce((x, y) => x + y, 0);
            let d2 = 0;
            for (const el of new Set([...ELEMENTS, ...Object.keys(a.composition)])) {
              const j = ELEMENTS.indexOf(el);
              d2 += ((j >= 0 ? 100 * st[j] : 0) - (100 * (a.composition[el] ?? 0)) / total) ** 2;
            }
            return Math.sqrt(d2);
          }),
        ),
      );
    const d = wrapped.distances(states);
    const expectAll = (got: Float64Array, want: number[]) => want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 9));
    expectAll(d.glass, brute((a) => a.isGlass !== null));
    expectAll(d.yieldStrength, brute((a) => a.yieldStrengthMPa !== null));
    // Alloys with no measurement at all are no reference.
    expectAll(wrapped.nearestDistance(states), brute((a) => a.isGlass !== null || a.yieldStrengthMPa !== null));
  });

  it('measures distance in at.% over every element, outside ones included', () => {
    const reference: MeasuredAlloy[] = [
      { composition: { Zr: 50, Cu: 50 }, isGlass: true, yieldStrengthMPa: null, elongationPct: null },
      { composition: { Zr: 60, Cu: 20, Be: 20 }, isGlass: null, yieldStrengthMPa: 1800, elongationPct: null },
    ];
    const wrapped = withDomainUncertainty(constantBase, reference, ['Zr', 'Cu'], {
      kind: 'domain-calibration',
      yieldStrength: fitPropertyCalibration([0, 1, 2], [0, 0, 0], [1, 1, 1], [0, 1, 2]),
      elongation: fitPropertyCalibration([0, 1, 2], [0, 0, 0], [1, 1, 1], [0, 1, 2]),
      glass: { farFieldPGlass: 0.1, length: null, n: 0, outOfFold: { logLoss: 0, calibratedLogLoss: 0 } },
    });
    const state = [Float64Array.from([0.6, 0.4])];
    const d = wrapped.distances(state);
    expect(d.glass[0]).toBeCloseTo(Math.hypot(10, 10), 9);
    expect(d.yieldStrength[0]).toBeCloseTo(Math.hypot(0, 20, 20), 9); // Be counts in full
    expect(d.elongation[0]).toBe(MAX_COMPOSITION_DISTANCE); // no alloy has elongation
    expect(wrapped.nearestDistance(state)[0]).toBeCloseTo(Math.hypot(10, 10), 9);
    // Out of fold: the nearest alloy in another fold.
    const oof = outOfFoldNearestDistance(
      [{ Zr: 50, Cu: 50 }, { Zr: 52, Cu: 48 }, { Zr: 60, Cu: 40 }],
      [0, 0, 1],
    );
    expect(Array.from(oof).map((v) => Number(v.toFixed(6)))).toEqual([Number(Math.hypot(10, 10).toFixed(6)), Number(Math.hypot(8, 8).toFixed(6)), Number(Math.hypot(8, 8).toFixed(6))]);
  });
});
