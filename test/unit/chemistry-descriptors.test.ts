import { describe, expect, it } from 'vitest';
import { CompositionError } from '../../src/core/chemistry/composition.js';
import { toFractions } from '../../src/core/domain/composition-grid.js';
import {
  computeDescriptors,
  DESCRIPTOR_NAMES,
  DESCRIPTORS,
  elementFractionFeatures,
  featurize,
  GAS_CONSTANT,
  makeFeaturizer,
} from '../../src/core/chemistry/descriptors.js';
import { ELEMENT_SYMBOLS } from '../../src/core/chemistry/elements.js';
import type { Composition } from '../../src/core/chemistry/types.js';
import { Random } from '../../src/core/util/random.js';

describe('descriptor registry', () => {
  it('documents at least 14 descriptors with unique names', () => {
    expect(DESCRIPTORS.length).toBeGreaterThanOrEqual(14);
    expect(new Set(DESCRIPTOR_NAMES).size).toBe(DESCRIPTOR_NAMES.length);
    for (const d of DESCRIPTORS) {
      expect(d.name).toMatch(/^[a-zA-Z]+$/);
      expect(d.unit.length).toBeGreaterThan(0);
      expect(d.doc.length).toBeGreaterThan(10);
      expect(d.formula.length).toBeGreaterThan(3);
    }
  });
});

describe('descriptors of Zr65Cu17.5Ni10Al7.5, computed by hand', () => {
  // Table values used: r (pm) Zr 160.2, Cu 127.8, Ni 124.6, Al 143.2; VEC 4, 11, 10, 3;
  // chi 1.33, 1.90, 1.91, 1.61; Tm (K) 2128, 1357.77, 1728, 933.47;
  // dH (kJ/mol) Zr-Cu -23, Zr-Ni -49, Zr-Al -44, Cu-Ni +4, Cu-Al -1, Ni-Al -22.
  const d = computeDescriptors({ Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 });
  const rMean = 0.65 * 160.2 + 0.175 * 127.8 + 0.1 * 124.6 + 0.075 * 143.2; // 149.695 pm

  it('mean radius and size mismatch delta', () => {
    expect(d.rMean).toBeCloseTo(149.695, 9);
    const delta =
      100 *
      Math.sqrt(
        0.65 * (1 - 160.2 / rMean) ** 2 +
          0.175 * (1 - 127.8 / rMean) ** 2 +
          0.1 * (1 - 124.6 / rMean) ** 2 +
          0.075 * (1 - 143.2 / rMean) ** 2,
      );
    expect(d.delta).toBeCloseTo(delta, 9);
    expect(d.delta).toBeCloseTo(9.948, 3);
  });

  it('mixing enthalpy', () => {
    const dH = 4 * (0.65 * 0.175 * -23 + 0.65 * 0.1 * -49 + 0.65 * 0.075 * -44 + 0.175 * 0.1 * 4 + 0.175 * 0.075 * -1 + 0.1 * 0.075 * -22);
    expect(dH).toBeCloseTo(-32.2175, 9);
    expect(d.dHmix).toBeCloseTo(dH, 9);
    expect(d.dHmain).toBe(-23); // Zr and Cu are the two largest
  });

  it('mixing entropy', () => {
    // -sum c ln c = 0.28001 + 0.30502 + 0.23026 + 0.19427 = 1.00956
    const sum = -(0.65 * Math.log(0.65) + 0.175 * Math.log(0.175) + 0.1 * Math.log(0.1) + 0.075 * Math.log(0.075));
    expect(sum).toBeCloseTo(1.00956, 4);
    expect(d.dSmix).toBeCloseTo(8.314462618 * sum, 9);
    expect(d.dSmix).toBeCloseTo(8.394, 3);
  });

  it('VEC, electronegativity, melting point, Omega', () => {
    expect(d.vec).toBeCloseTo(0.65 * 4 + 0.175 * 11 + 0.1 * 10 + 0.075 * 3, 12); // 5.75
    const chiMean = 0.65 * 1.33 + 0.175 * 1.9 + 0.1 * 1.91 + 0.075 * 1.61;
    expect(d.chiMean).toBeCloseTo(chiMean, 12);
    const chiVar = 0.65 * (1.33 - chiMean) ** 2 + 0.175 * (1.9 - chiMean) ** 2 + 0.1 * (1.91 - chiMean) ** 2 + 0.075 * (1.61 - chiMean) ** 2;
    expect(d.dChi).toBeCloseTo(Math.sqrt(chiVar), 12);
    const tm = 0.65 * 2128 + 0.175 * 1357.77 + 0.1 * 1728 + 0.075 * 933.47;
    expect(d.tmMean).toBeCloseTo(tm, 9);
    expect(d.omega).toBeCloseTo((tm * d.dSmix) / (1000 * 32.2175), 9);
  });

  it('composition counts and classes', () => {
    expect(d.nElements).toBe(4);
    expect(d.maxFraction).toBeCloseTo(0.65, 12);
    expect(d.lateTmFraction).toBeCloseTo(0.275, 12);
    expect(d.earlyTmFraction).toBeCloseTo(0.65, 12);
    expect(d.metalloidFraction).toBe(0);
    expect(d.radiusRatio).toBeCloseTo(160.2 / 124.6, 12);
    // Pairs with dH < 0 carry all the pair weight except Cu-Ni.
    const pairWeight = 0.65 * 0.175 + 0.65 * 0.1 + 0.65 * 0.075 + 0.175 * 0.1 + 0.175 * 0.075 + 0.1 * 0.075;
    expect(d.negPairFraction).toBeCloseTo(1 - (0.175 * 0.1) / pairWeight, 12);
  });

  it('Lambda and gamma', () => {
    expect(d.lambda).toBeCloseTo(d.dSmix / d.delta ** 2, 12);
    const solidAngle = (r: number) => 1 - Math.sqrt(((r + rMean) ** 2 - rMean ** 2) / (r + rMean) ** 2);
    expect(d.gamma).toBeCloseTo(solidAngle(124.6) / solidAngle(160.2), 12);
    expect(d.gamma).toBeGreaterThan(1);
  });
});

describe('descriptor edge cases', () => {
  it('are finite for a pure element and scale-invariant', () => {
    const pure = computeDescriptors({ Zr: 100 });
    for (const name of DESCRIPTOR_NAMES) expect(Number.isFinite(pure[name])).toBe(true);
    expect(pure.delta).toBe(0);
    expect(pure.dSmix).toBe(0);
    expect(pure.dHmix).toBe(0);
    expect(pure.gamma).toBe(1);
    const fractions = computeDescriptors({ Zr: 0.65, Cu: 0.35 });
    const percent = computeDescriptors({ Zr: 65, Cu: 35 });
    for (const name of DESCRIPTOR_NAMES) expect(fractions[name]).toBeCloseTo(percent[name], 9);
  });

  it('equiatomic entropy is R ln n', () => {
    expect(computeDescriptors({ Co: 1, Cr: 1, Fe: 1, Ni: 1 }).dSmix).toBeCloseTo(GAS_CONSTANT * Math.log(4), 10);
  });

  it('reject unknown elements and bad amounts', () => {
    expect(() => computeDescriptors({ Zr: 50, Xx: 50 })).toThrow(CompositionError);
    expect(() => computeDescriptors({ Zr: 50, Cu: -5 })).toThrow(CompositionError);
    expect(() => computeDescriptors({})).toThrow(/empty/);
  });
});

describe('featurizers', () => {
  const features = [...DESCRIPTOR_NAMES, 'frac:Zr', 'frac:Cu', 'frac:Be'];

  it('featurize agrees with computeDescriptors and reports fractions as at.%/100', () => {
    const compositions: Composition[] = [
      { Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 },
      { Zr: 41.2, Ti: 13.8, Cu: 12.5, Ni: 10, Be: 22.5 },
      { Cu: 50, Zr: 50 },
    ];
    const rows = featurize(compositions, features);
    rows.forEach((row, r) => {
      const expected = computeDescriptors(compositions[r]);
      DESCRIPTOR_NAMES.forEach((name, i) => expect(row[i]).toBeCloseTo(expected[name], 12));
      expect(row[DESCRIPTOR_NAMES.length]).toBeCloseTo((compositions[r].Zr ?? 0) / 100, 12);
      expect(row[DESCRIPTOR_NAMES.length + 2]).toBeCloseTo((compositions[r].Be ?? 0) / 100, 12);
    });
    expect(elementFractionFeatures(['Zr', 'Cu'])).toEqual(['frac:Zr', 'frac:Cu']);
  });

  it('makeFeaturizer over a few elements matches the full featurizer and reuses `out`', () => {
    const elements = ['Zr', 'Cu', 'Ni', 'Al', 'Ti'];
    const featurizer = makeFeaturizer(features, elements);
    const random = new Random('featurizer');
    const out = new Float64Array(features.length);
    for (let trial = 0; trial < 200; trial++) {
      const c: Composition = {};
      for (const symbol of elements) if (random.next() < 0.8) c[symbol] = random.uniform(0.5, 60);
      if (Object.keys(c).length === 0) c.Zr = 1;
      const row = featurizer(toFractions(c, elements), out);
      expect(row).toBe(out);
      const [expected] = featurize([c], features);
      expected.forEach((value, i) => expect(row[i]).toBeCloseTo(value, 10));
      expect(row[features.length - 1]).toBe(0); // Be is not among the elements
    }
  });

  it('rejects unknown feature names and wrong vector lengths', () => {
    expect(() => makeFeaturizer(['delta', 'nonsense'], ELEMENT_SYMBOLS)).toThrow(/Unknown feature "nonsense"/);
    expect(() => makeFeaturizer(['frac:Xx'], ELEMENT_SYMBOLS)).toThrow(/Unknown element/);
    expect(() => makeFeaturizer(['delta'], ['Zr', 'Xx'])).toThrow();
    expect(() => makeFeaturizer(['delta'], ['Zr', 'Cu'])(new Float64Array(3))).toThrow(/3 entries, expected 2/);
  });

  it('is fast enough for the RL hot path', () => {
    const names = [...DESCRIPTOR_NAMES, ...elementFractionFeatures(ELEMENT_SYMBOLS)];
    const featurizer = makeFeaturizer(names, ELEMENT_SYMBOLS);
    const x = toFractions({ Zr: 62, Cu: 15.5, Ni: 12.5, Al: 10 }, ELEMENT_SYMBOLS);
    const out = new Float64Array(names.length);
    const calls = 50_000;
    const start = performance.now();
    for (let i = 0; i < calls; i++) featurizer(x, out);
    const perSecond = calls / ((performance.now() - start) / 1000);
    console.log(`makeFeaturizer: ${Math.round(perSecond).toLocaleString('en')} rows/s (${names.length} features, 52 elements)`);
    // Generous floor: the machine is shared; measured ~1.6 million rows/s when idle.
    expect(perSecond).toBeGreaterThan(100_000);
  });
});
