import { describe, expect, it } from 'vitest';
import { formatFormula } from '../../src/core/chemistry/composition.js';
import { roundToStep } from '../../src/core/domain/composition-grid.js';
import { validateAgainstDesignSpace } from '../../src/core/domain/design-space.js';
import type { Composition } from '../../src/core/chemistry/types.js';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { Random } from '../../src/core/util/random.js';
import type { Objectives } from '../../src/repositories/entities/campaign.entity.js';
import { fitness, GeneticStrategy } from '../../src/services/design/genetic-strategy.js';
import { STRATEGIES } from '../../src/services/design/strategies.js';
import type { DesignContext } from '../../src/services/design/strategy.js';
import { designContext } from './design-helpers.js';
import { createOracle, DEMO_DESIGN_SPACE, meetsObjectives, sampleDesignSpace, sampleSeedAlloys } from '../../simulators/oracle.js';

const objectives: Objectives = {
  requireGlass: true,
  targets: [
    { property: 'yieldStrengthMPa', threshold: 1600, weight: 1 },
    { property: 'elongationPct', threshold: 4, weight: 1 },
  ],
};
const oracle = createOracle(3);

function context(measured: MeasuredAlloy[], pending: Composition[], count: number, seed = 42): DesignContext {
  return designContext({ method: 'genetic', space: DEMO_DESIGN_SPACE, objectives, measured, pending, count, seed });
}

const seeds = sampleSeedAlloys(oracle, DEMO_DESIGN_SPACE, 30, new Random(5));
const pending = [sampleDesignSpace(DEMO_DESIGN_SPACE, new Random(6)), sampleDesignSpace(DEMO_DESIGN_SPACE, new Random(7))];
const key = (c: Composition) => formatFormula(roundToStep(c, DEMO_DESIGN_SPACE.step));

describe('genetic baseline strategy', () => {
  it('is registered by name', () => {
    expect(STRATEGIES.genetic).toBeDefined();
    const make = STRATEGIES.genetic as unknown as () => { name: string };
    expect(make().name).toBe('genetic');
  });

  it('proposes legal compositions on the grid, none measured, pending or repeated', async () => {
    const outcome = await new GeneticStrategy().propose(context(seeds, pending, 24));
    expect(outcome.proposals).toHaveLength(24);
    const taken = new Set([...seeds.map((a) => key(a.composition)), ...pending.map(key)]);
    const mine = new Set<string>();
    for (const { composition } of outcome.proposals) {
      expect(validateAgainstDesignSpace(composition, DEMO_DESIGN_SPACE)).toEqual([]);
      for (const v of Object.values(composition)) expect(Math.abs(v / 0.5 - Math.round(v / 0.5))).toBeLessThan(1e-6);
      const k = key(composition);
      expect(taken.has(k)).toBe(false);
      expect(mine.has(k)).toBe(false);
      mine.add(k);
    }
    expect(outcome.summary).toMatchObject({ strategy: 'genetic', proposals: 24, population: 30 });
    expect(outcome.modelVersions).toEqual([]);
    expect(outcome.agent).toBeNull();
  });

  it('never repeats a measured composition even when measured as made (off the grid)', async () => {
    // Off-grid as-made versions of grid compositions, as instruments report them.
    const asMade = seeds.map((a) => ({ ...a, composition: Object.fromEntries(Object.entries(a.composition).map(([el, v], i) => [el, v + (i === 0 ? 0.02 : -0.02 / (Object.keys(a.composition).length - 1))])) }));
    const outcome = await new GeneticStrategy().propose(context(asMade, [], 16, 9));
    const taken = new Set(seeds.map((a) => key(a.composition)));
    for (const p of outcome.proposals) expect(taken.has(key(p.composition))).toBe(false);
  });

  it('is reproducible for a seed and differs between seeds', async () => {
    const a = await new GeneticStrategy().propose(context(seeds, pending, 8, 1));
    const b = await new GeneticStrategy().propose(context(seeds, pending, 8, 1));
    const c = await new GeneticStrategy().propose(context(seeds, pending, 8, 2));
    const formulas = (o: typeof a) => o.proposals.map((p) => formatFormula(p.composition));
    expect(formulas(a)).toEqual(formulas(b));
    expect(formulas(a)).not.toEqual(formulas(c));
  });

  it('explores at random while there is too little data, still legal', async () => {
    const outcome = await new GeneticStrategy().propose(context(seeds.slice(0, 2), [], 6));
    expect(outcome.proposals).toHaveLength(6);
    expect(outcome.summary).toMatchObject({ immigrants: 6, offspring: 0 });
    for (const p of outcome.proposals) expect(validateAgainstDesignSpace(p.composition, DEMO_DESIGN_SPACE)).toEqual([]);
  });

  it('scores fitness >= 1 exactly for alloys meeting every objective', () => {
    const cases: MeasuredAlloy[] = [
      { composition: {}, isGlass: true, yieldStrengthMPa: 1700, elongationPct: 5 },
      { composition: {}, isGlass: true, yieldStrengthMPa: 1700, elongationPct: 3 },
      { composition: {}, isGlass: false, yieldStrengthMPa: 1700, elongationPct: 5 },
      { composition: {}, isGlass: false, yieldStrengthMPa: null, elongationPct: null },
    ];
    expect(cases.map((c) => fitness(c, objectives) >= 1)).toEqual([true, false, false, false]);
    expect(fitness(cases[1], objectives)).toBeCloseTo(0.75);
    expect(fitness(cases[3], objectives)).toBe(0);
  });

  it('finds more alloys meeting the objectives than uniform sampling on the oracle (short run)', async () => {
    const measured = [...seeds];
    const strategy = new GeneticStrategy();
    let successes = 0;
    for (let batch = 0; batch < 6; batch++) {
      const outcome = await strategy.propose(context(measured, [], 8, 100 + batch));
      for (const p of outcome.proposals) {
        const m = oracle.measure(p.composition);
        if (meetsObjectives(m) && m.isGlass) successes++;
        measured.push({ composition: p.composition, ...m });
      }
    }
    const rng = new Random(77);
    let randomSuccesses = 0;
    for (let i = 0; i < 48; i++) {
      const m = oracle.measure(sampleDesignSpace(DEMO_DESIGN_SPACE, rng));
      if (meetsObjectives(m) && m.isGlass) randomSuccesses++;
    }
    expect(successes).toBeGreaterThan(randomSuccesses);
  });
});
