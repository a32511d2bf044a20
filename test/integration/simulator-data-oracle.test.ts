import { describe, expect, it } from 'vitest';
import { Random } from '../../src/core/util/random.js';
import { createDataOracle } from '../../simulators/data-oracle.js';
import { sampleDesignSpace } from '../../simulators/oracle.js';
import { inSpace, knownMiss, LAB_SPACES, publishedAlloys, scenarioSeedAlloys, SCARCE_SEED_COUNT } from '../../simulators/scenarios.js';

/** The data-grounded virtual lab (simulators/data-oracle.ts) on the published data in ../shared. */
describe('data-grounded oracle', () => {
  const data = publishedAlloys();
  const zrWithYield = data.filter((a) => {
    const zr = a.composition.Zr ?? 0;
    return a.yieldStrengthMPa !== null && zr >= Math.max(...Object.values(a.composition));
  });

  it('reads every published row of both files', () => {
    expect(data).toHaveLength(7425);
    expect(zrWithYield.length).toBeGreaterThan(140);
  });

  it('reproduces measured alloys within the test noise', () => {
    for (const seed of [1, 2]) {
      const oracle = createDataOracle(seed, data);
      // Crystalline truths report no yield strength (as a sample would); compare the glasses.
      const measuredGlasses = zrWithYield.filter((a) => a.isGlass === true);
      const glassy = measuredGlasses.filter((a) => oracle.trueProperties(a.composition).phase === 'amorphous');
      expect(glassy.length).toBeGreaterThan(0.95 * measuredGlasses.length);
      const errors = glassy.map((a) => Math.abs(oracle.trueProperties(a.composition).yieldStrengthMPa! - a.yieldStrengthMPa!));
      errors.sort((x, y) => x - y);
      // Median within the yield noise (35 MPa); neighbouring measurements that disagree pull a little.
      expect(errors[errors.length >> 1]).toBeLessThan(35);
      // Glass labels: the truth at a labelled Zr-based alloy agrees with its label.
      const labelled = data.filter((a) => a.isGlass !== null && (a.composition.Zr ?? 0) >= Math.max(...Object.values(a.composition)));
      const agree = labelled.filter((a) => oracle.trueProperties(a.composition).glassProbability >= 0.5 === a.isGlass).length;
      expect(agree / labelled.length).toBeGreaterThan(0.97);
    }
  });

  it('is mostly crystalline far from every measured alloy', () => {
    const oracle = createDataOracle(3, data);
    const rng = new Random('far');
    const space = LAB_SPACES.zr9.space;
    let far = 0;
    let glassFar = 0;
    for (let i = 0; i < 400 && far < 150; i++) {
      const c = sampleDesignSpace(space, rng);
      if (oracle.nearestLabelled(c) < 10) continue;
      far++;
      if (oracle.measure(c, 0).isGlass) glassFar++;
      expect(oracle.trueProperties(c).glassProbability).toBeLessThan(0.3);
    }
    expect(far).toBeGreaterThan(50);
    expect(glassFar / far).toBeLessThan(0.2);
  });

  it('is deterministic per seed, composition and replicate, and seeds are different labs', () => {
    const vit = { Zr: 62.5, Cu: 22.5, Al: 10, Ni: 5 };
    const a = createDataOracle(7, data);
    const b = createDataOracle(7, data);
    expect(a.measure(vit, 2)).toEqual(b.measure({ Ni: 5, Al: 10, Cu: 22.5, Zr: 62.5 }, 2));
    const c = createDataOracle(8, data);
    expect(c.bandwidth).not.toBe(a.bandwidth);
    const near = { Zr: 60, Cu: 24, Al: 10, Ni: 6 };
    expect(c.trueProperties(near).glassProbability).not.toBe(a.trueProperties(near).glassProbability);
  });

  it('scarce seed data are published alloys of the space that all miss the target', () => {
    const lab = LAB_SPACES.zr9;
    const oracle = createDataOracle(1, data);
    const seeds = scenarioSeedAlloys('scarce', oracle, lab, 'data', 1);
    expect(seeds).toHaveLength(SCARCE_SEED_COUNT);
    for (const a of seeds) {
      expect(inSpace(a, lab.space)).toBe(true);
      expect(knownMiss(a, lab.objectives)).toBe(true);
    }
    expect(seeds.some((a) => a.isGlass === true)).toBe(true);
    expect(seeds.some((a) => a.isGlass === false)).toBe(true);
    expect(scenarioSeedAlloys('scarce', oracle, lab, 'data', 2)).not.toEqual(seeds);
  });
});
