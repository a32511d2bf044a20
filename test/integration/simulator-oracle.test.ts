import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/util/random.js';
import {
  createOracle,
  DEMO_DESIGN_SPACE,
  DEMO_OBJECTIVES,
  meetsObjectives,
  sampleDesignSpace,
  sampleSeedAlloys,
} from '../../simulators/oracle.js';
import { compositionAsMade } from '../../simulators/virtual-instrument.js';

const VIT = { Zr: 62.5, Cu: 22.5, Al: 10, Ni: 5 };

describe('ground-truth oracle', () => {
  it('is deterministic per seed, composition and replicate', () => {
    const a = createOracle(11);
    const b = createOracle(11);
    expect(a.measure(VIT, 0)).toEqual(b.measure(VIT, 0));
    expect(a.measure(VIT, 3)).toEqual(b.measure({ Ni: 5, Al: 10, Cu: 22.5, Zr: 62.5 }, 3)); // key order is irrelevant
    expect(a.trueProperties(VIT)).toEqual(b.trueProperties(VIT));
  });

  it('differs between seeds (hidden landscape) and between replicates (noise)', () => {
    const rng = new Random(5);
    const points = Array.from({ length: 200 }, () => sampleDesignSpace(DEMO_DESIGN_SPACE, rng));
    const a = createOracle(1);
    const b = createOracle(2);
    const differing = points.filter((c) => a.trueProperties(c).yieldStrengthMPa !== b.trueProperties(c).yieldStrengthMPa);
    expect(differing.length).toBeGreaterThan(20);
    const replicates = new Set(Array.from({ length: 5 }, (_, r) => a.measure(VIT, r).yieldStrengthMPa));
    expect(replicates.size).toBeGreaterThan(1);
  });

  it('stays in the ranges of the Zr-based data', () => {
    const rng = new Random(9);
    for (const seed of [1, 2, 3]) {
      const oracle = createOracle(seed);
      let glasses = 0;
      for (let i = 0; i < 400; i++) {
        const c = sampleDesignSpace(DEMO_DESIGN_SPACE, rng);
        const truth = oracle.trueProperties(c);
        const m = oracle.measure(c);
        expect(truth.glassProbability).toBeGreaterThanOrEqual(0);
        expect(truth.glassProbability).toBeLessThanOrEqual(1);
        expect(m.isGlass).toBe(m.phase === 'amorphous');
        if (m.phase === 'crystalline') {
          expect(m.yieldStrengthMPa).toBeNull();
          expect(m.elongationPct).toBeNull();
          continue;
        }
        glasses++;
        expect(m.yieldStrengthMPa!).toBeGreaterThanOrEqual(800);
        expect(m.yieldStrengthMPa!).toBeLessThanOrEqual(2400);
        expect(m.elongationPct!).toBeGreaterThanOrEqual(0);
        expect(m.elongationPct!).toBeLessThanOrEqual(15);
      }
      expect(glasses).toBeGreaterThan(200); // the demo space is mostly glass-forming
    }
  });

  it('follows the glass-forming rules: a binary Zr-rich alloy or Ti-rich one forms glass less readily', () => {
    const oracle = createOracle(1);
    const vit = oracle.trueProperties(VIT).glassProbability;
    expect(vit).toBeGreaterThan(0.7);
    expect(oracle.trueProperties({ Zr: 90, Cu: 10 }).glassProbability).toBeLessThan(vit);
    expect(oracle.trueProperties({ Zr: 50, Ti: 40, Al: 10 }).glassProbability).toBeLessThan(0.2);
  });

  it('rejects elements it has no data for', () => {
    expect(() => createOracle(1).measure({ Zr: 60, Au: 40 })).toThrow(/no data for Au/);
  });

  it('leaves only a small share (5-15 %) of the demo design space meeting the demo objectives', () => {
    for (const seed of [1, 2, 3]) {
      const oracle = createOracle(seed);
      const rng = new Random(seed);
      const n = 1500;
      let met = 0;
      for (let i = 0; i < n; i++) if (meetsObjectives(oracle.trueProperties(sampleDesignSpace(DEMO_DESIGN_SPACE, rng)))) met++;
      expect(met / n).toBeGreaterThan(0.04);
      expect(met / n).toBeLessThan(0.16);
    }
  });
});

describe('design space sampling and seed alloys', () => {
  it('samples on the grid, within bounds and element counts, Zr the largest', () => {
    const rng = new Random(4);
    const space = DEMO_DESIGN_SPACE;
    for (let i = 0; i < 300; i++) {
      const c = sampleDesignSpace(space, rng);
      const entries = Object.entries(c);
      expect(entries.length).toBeGreaterThanOrEqual(space.minElements);
      expect(entries.length).toBeLessThanOrEqual(space.maxElements);
      expect(entries.reduce((s, [, v]) => s + v, 0)).toBe(100);
      for (const [el, v] of entries) {
        expect(v / space.step).toBe(Math.round(v / space.step));
        expect(v).toBeGreaterThanOrEqual(Math.max(space.bounds[el].min, space.step));
        expect(v).toBeLessThanOrEqual(space.bounds[el].max);
        if (el !== 'Zr') expect(v).toBeLessThan(c.Zr);
      }
      for (const el of ['Zr', 'Cu', 'Al']) expect(c[el]).toBeGreaterThan(0); // positive lower bounds
    }
  });

  it('gives a few dozen distinct, mostly mediocre seed alloys, reproducibly', () => {
    const oracle = createOracle(1);
    const alloys = sampleSeedAlloys(oracle, DEMO_DESIGN_SPACE, 36, new Random(1));
    expect(alloys).toHaveLength(36);
    expect(sampleSeedAlloys(oracle, DEMO_DESIGN_SPACE, 36, new Random(1))).toEqual(alloys);
    expect(new Set(alloys.map((a) => JSON.stringify(a.composition))).size).toBe(36);
    const successes = alloys.filter((a) => meetsObjectives(a, DEMO_OBJECTIVES)).length;
    expect(successes).toBeLessThanOrEqual(4);
    for (const a of alloys) expect(a.isGlass === null || typeof a.isGlass === 'boolean').toBe(true);
  });
});

describe('composition as made', () => {
  it('deviates a little, keeps the elements and sums to exactly 100 with 2 decimals', () => {
    const rng = new Random(2);
    for (let i = 0; i < 200; i++) {
      const made = compositionAsMade({ Zr: 55.5, Cu: 20, Ni: 9.5, Al: 10, Ag: 0.5, Ti: 4.5 }, rng);
      expect(Object.keys(made).sort()).toEqual(['Ag', 'Al', 'Cu', 'Ni', 'Ti', 'Zr']);
      expect(Math.abs(Object.values(made).reduce((s, v) => s + v, 0) - 100)).toBeLessThan(1e-9);
      for (const v of Object.values(made)) expect(Math.round(v * 100) / 100).toBe(v);
      expect(Math.abs(made.Zr - 55.5)).toBeLessThan(2);
    }
  });
});
