import { describe, expect, it } from 'vitest';
import { glassObjective, SuccessAcquisition, ThresholdModel } from '../../src/core/bo/acquisition.js';
import { proposeBoBatch, type BoInput, type BoOptions } from '../../src/core/bo/bayesian-optimisation.js';
import { l1AtPct } from '../../src/core/bo/batch-selection.js';
import { labelled, relevantAlloys } from '../../src/core/bo/training-data.js';
import { GlassClassifier } from '../../src/core/bo/glass-classifier.js';
import { formatFormula } from '../../src/core/chemistry/composition.js';
import { roundToStep } from '../../src/core/domain/composition-grid.js';
import { validateAgainstDesignSpace } from '../../src/core/domain/design-space.js';
import type { Composition } from '../../src/core/chemistry/types.js';
import type { DesignSpace } from '../../src/core/domain/design-space.js';
import { checkProcessValues, processKey, type ProcessVariable } from '../../src/core/domain/process.js';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { DEFAULT_STRATEGY } from '../../src/core/domain/strategy.js';
import { isSuccess } from '../../src/core/domain/success.js';
import { randomLegalComposition } from '../../src/core/domain/state.js';
import { toComposition, toFractions } from '../../src/core/domain/composition-grid.js';
import { Random } from '../../src/core/util/random.js';
import type { Objectives } from '../../src/repositories/entities/campaign.entity.js';
import { BoStrategy } from '../../src/services/design/bo-strategy.js';
import { fitness } from '../../src/services/design/genetic-strategy.js';
import { RandomStrategy } from '../../src/services/design/random-strategy.js';
import { STRATEGIES } from '../../src/services/design/strategies.js';
import type { DesignContext } from '../../src/services/design/strategy.js';
import { designContext } from './design-helpers.js';
import { expectSeedReproducible } from './seeded-checks.js';

const space: DesignSpace = {
  elements: ['Zr', 'Cu', 'Ni', 'Al', 'Ti'],
  bounds: { Zr: { min: 40, max: 75 }, Cu: { min: 0, max: 35 }, Ni: { min: 0, max: 15 }, Al: { min: 0, max: 15 }, Ti: { min: 0, max: 10 } },
  step: 0.5,
  minElements: 3,
  maxElements: 5,
  baseElement: 'Zr',
};
const objectives: Objectives = {
  requireGlass: true,
  targets: [
    { property: 'yieldStrengthMPa', threshold: 1600, weight: 1 },
    { property: 'elongationPct', threshold: 4, weight: 1 },
  ],
};

/** Synthetic truth: glass with >= 15 % Cu; yield rises with Cu, elongation with Ni. Success needs Cu >= 25 and Ni >= 8. */
function truth(c: Composition): MeasuredAlloy {
  const cu = c.Cu ?? 0;
  const ni = c.Ni ?? 0;
  return { composition: c, isGlass: cu >= 15, yieldStrengthMPa: 1100 + 20 * cu, elongationPct: 0.5 * ni };
}

function seedAlloys(n: number, seed: number): MeasuredAlloy[] {
  const rng = new Random(seed);
  const out: MeasuredAlloy[] = [];
  while (out.length < n) {
    const x = randomLegalComposition(space, rng, { minCount: 3, maxCount: 5 })!;
    const alloy = truth(toComposition(x, space.elements, 4));
    // Scarce and all short of the target, as a new campaign would be.
    if (!isSuccess(alloy, objectives)) out.push(alloy);
  }
  return out;
}

function context(measured: MeasuredAlloy[], pending: Composition[], count: number, seed = 42): DesignContext {
  return designContext({ method: 'bo', space: space, objectives, measured, pending, count, seed });
}

function input(measured: MeasuredAlloy[], pending: Composition[], count: number, seed = 42): BoInput {
  return { space, objectives, measured, pending, count, minDistance: DEFAULT_STRATEGY.minProposalDistance, seed, score: (a) => fitness(a, objectives) };
}

const seeds = seedAlloys(40, 3);
const key = (c: Composition) => formatFormula(roundToStep(c, space.step));
const fractions = (c: Composition) => toFractions(c, space.elements);

describe('bo strategy', () => {
  it('is registered by name and fills every prediction', async () => {
    expect(STRATEGIES.bo).toBeDefined();
    const strategy = (STRATEGIES.bo as unknown as () => BoStrategy)();
    expect(strategy.name).toBe('bo');
    const outcome = await strategy.propose(context(seeds, [], 8));
    expect(outcome.proposals).toHaveLength(8);
    for (const { composition, prediction } of outcome.proposals) {
      expect(validateAgainstDesignSpace(composition, space)).toEqual([]);
      for (const v of Object.values(composition)) expect(Math.abs(v / 0.5 - Math.round(v / 0.5))).toBeLessThan(1e-6);
      const p = prediction!;
      for (const v of [p.pGlass, p.yieldStrengthMPa, p.yieldStrengthStd, p.elongationPct, p.elongationStd, p.successProbability!]) expect(Number.isFinite(v)).toBe(true);
      expect(p.successProbability!).toBeLessThanOrEqual(p.pGlass + 1e-12);
      expect(p.yieldStrengthStd).toBeGreaterThan(0);
    }
    expect(outcome.summary).toMatchObject({ strategy: 'bo', proposals: 8, training: { relevant: 40, glassLabels: 40, yieldStrengthMPa: 40 } });
  });

  it('prefers the high region of a small synthetic campaign (more true successes than random)', async () => {
    let bo = 0;
    let random = 0;
    for (const seed of [1, 2, 3]) {
      const ctx = context(seeds, [], 8, seed);
      bo += (await new BoStrategy().propose(ctx)).proposals.filter((p) => isSuccess(truth(p.composition), objectives)).length;
      random += (await new RandomStrategy().propose(ctx)).proposals.filter((p) => isSuccess(truth(p.composition), objectives)).length;
    }
    expect(bo).toBeGreaterThanOrEqual(12); // at least half of 24
    expect(bo).toBeGreaterThan(2 * random);
  });

  it('keeps its proposals away from pending experiments and from each other, and never repeats them', () => {
    const first = proposeBoBatch(input(seeds, [], 8)).proposals;
    const pending = first.slice(0, 3).map((p) => p.composition);
    const second = proposeBoBatch(input(seeds, pending, 8)).proposals;
    expect(second).toHaveLength(8);
    const minDistance = DEFAULT_STRATEGY.minProposalDistance;
    const taken = new Set([...seeds.map((a) => key(a.composition)), ...pending.map(key)]);
    second.forEach((p, i) => {
      expect(taken.has(key(p.composition))).toBe(false);
      for (const q of pending) expect(l1AtPct(p.fractions, fractions(q))).toBeGreaterThanOrEqual(minDistance - 1e-9);
      for (const q of second.slice(0, i)) expect(l1AtPct(p.fractions, q.fractions)).toBeGreaterThanOrEqual(minDistance - 1e-9);
      expect(p.relaxedDistance).toBe(false);
    });
    expect(second.map((p) => key(p.composition))).not.toContain(key(first[0].composition));
  });

  it('lowers the acquisition around a pending experiment near the optimum, and barely elsewhere', () => {
    // One property on a 2-D line of candidates: the optimum at the top; a pending point there.
    const rng = new Random(8);
    const train = Array.from({ length: 30 }, () => Float64Array.of(rng.next(), rng.next()));
    const f = (x: ArrayLike<number>) => 1500 + 300 * Math.exp(-((x[0] - 0.7) ** 2 + (x[1] - 0.7) ** 2) / 0.05);
    const model = ThresholdModel.fit('yieldStrengthMPa', train, train.map(f), 1650, { seed: 1 });
    const glass = glassObjective(GlassClassifier.fit([], []));
    const candidates = Array.from({ length: 41 }, (_, i) => Float64Array.of(i / 40, i / 40));
    const acquisition = new SuccessAcquisition([glass, model], [false, true], candidates);
    const before = acquisition.values();
    const best = before.indexOf(Math.max(...before));
    expect(candidates[best][0]).toBeGreaterThan(0.6);
    expect(candidates[best][0]).toBeLessThan(0.8);
    acquisition.condition(candidates[best]);
    const after = acquisition.values();
    expect(after[best]).toBeLessThan(0.6 * before[best]);
    expect(after[best + 1]).toBeLessThan(before[best + 1]);
    expect(after[best - 1]).toBeLessThan(before[best - 1]);
    // Far from it (the other corner) the acquisition hardly moves.
    expect(Math.abs(after[0] - before[0])).toBeLessThan(0.02);
    // A kriging believer would not lower it there: the mean stays, only the variance shrinks.
    const believer = new SuccessAcquisition([glass, model], [false, true], candidates, 'believer');
    believer.condition(candidates[best]);
    expect(believer.value(best)).toBeGreaterThan(after[best]);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    expectSeedReproducible((seed) => proposeBoBatch(input(seeds, [], 6, seed)).proposals.flatMap((p) => Array.from(p.fractions)));
  });

  it('falls back to legal random compositions with no labels, and handles missing labels per model', () => {
    const none = proposeBoBatch(input([], [], 5));
    expect(none.proposals).toHaveLength(5);
    expect(none.summary.fallback).toMatch(/no labels/);
    for (const p of none.proposals) expect(validateAgainstDesignSpace(p.composition, space)).toEqual([]);
    // Glass labels only (as most literature rows): the glass model trains, the property models fall back.
    const glassOnly = seeds.map((a) => ({ ...a, yieldStrengthMPa: null, elongationPct: null }));
    const result = proposeBoBatch(input(glassOnly, [], 4));
    expect(result.proposals).toHaveLength(4);
    expect(result.summary.training).toMatchObject({ glassLabels: 40, yieldStrengthMPa: 0, elongationPct: 0 });
    for (const p of result.proposals) expect(p.pGlass).toBeGreaterThan(0.5);
  });

  it('uses alloys with a little of a foreign element and leaves out the rest', () => {
    const foreign: MeasuredAlloy[] = [
      { composition: { Zr: 60, Cu: 25, Al: 10, Be: 5 }, isGlass: true, yieldStrengthMPa: null, elongationPct: null },
      { composition: { Fe: 70, B: 20, Si: 10 }, isGlass: true, yieldStrengthMPa: null, elongationPct: null },
    ];
    const result = proposeBoBatch(input([...seeds, ...foreign], [], 2));
    expect(result.summary.training).toMatchObject({ relevant: 41, foreign: 1, glassLabels: 41 });
  });
});

describe('bo training data', () => {
  it('orders relevant alloys nearest the best-scoring ones first, so a cap keeps the promising region', () => {
    const best: MeasuredAlloy = { composition: { Zr: 55, Cu: 30, Al: 10, Ni: 5 }, isGlass: true, yieldStrengthMPa: 1700, elongationPct: 5 };
    const near: MeasuredAlloy = { composition: { Zr: 56, Cu: 29, Al: 10, Ni: 5 }, isGlass: true, yieldStrengthMPa: null, elongationPct: null };
    const far: MeasuredAlloy = { composition: { Zr: 75, Ti: 10, Ni: 15 }, isGlass: false, yieldStrengthMPa: null, elongationPct: null };
    const data = relevantAlloys([far, near, best], space.elements, { maxOutside: 0.1, anchors: 1, score: (a) => fitness(a, objectives) });
    expect(data.alloys).toEqual([best, near, far]);
    expect(labelled(data, (a) => a.isGlass, 2).values).toEqual([true, true]);
    expect(labelled(data, (a) => a.yieldStrengthMPa, 5).values).toEqual([1700]);
  });
});

describe('compositions proposed before', () => {
  it('are never proposed again by bo, genetic or random, even when their samples were measured as made (another composition)', async () => {
    const measured = seedAlloys(12, 5);
    for (const method of ['bo', 'genetic', 'random'] as const) {
      const first = await STRATEGIES[method]({} as never, null).propose(designContext({ method, space, objectives, measured, pending: [], count: 4, seed: 9 }));
      expect(first.proposals).toHaveLength(4);
      const proposed = first.proposals.map((p) => p.composition);
      // The lab made them a little off the grid and measured those: the nominal compositions are free again unless excluded.
      const asMade = proposed.map((c) => truth(Object.fromEntries(Object.entries(c).map(([e, v], i) => [e, v + (i === 0 ? 0.13 : -0.13 / (Object.keys(c).length - 1))]))));
      const again = await STRATEGIES[method]({} as never, null).propose({ ...designContext({ method, space, objectives, measured: [...measured, ...asMade], pending: [], count: 4, seed: 9 }), proposed });
      const before = new Set(proposed.map((c) => formatFormula(c)));
      expect(again.proposals.length, method).toBeGreaterThan(0);
      for (const p of again.proposals) expect(before.has(formatFormula(p.composition)), `${method} repeated ${formatFormula(p.composition)}`).toBe(false);
    }
  });

  it('chooses process values too: legal, learned from the measured alloys, seeded', () => {
    const process: ProcessVariable[] = [
      { name: 'castingDiameterMm', kind: 'continuous', min: 1, max: 5, step: 1, unit: 'mm' },
      { name: 'coolingMethod', kind: 'categorical', values: ['copper-mould', 'suction', 'water-quench'] },
    ];
    const withProcess: DesignSpace = { ...space, process };
    // Glass forms only with suction casting (the composition rule as before): the seed's alloys were made every way but at 5 mm.
    const rng = new Random(9);
    const measured = seeds.map((a) => {
      const made = { castingDiameterMm: 1 + rng.int(4), coolingMethod: process[1].kind === 'categorical' ? process[1].values[rng.int(3)] : '' };
      return { ...a, process: made, isGlass: a.isGlass === true && made.coolingMethod === 'suction' };
    });
    const run = (seed: number, options: Partial<BoOptions> = {}) => proposeBoBatch({ ...input(measured, [], 6, seed), space: withProcess, options });
    const made = new Set(measured.map((a) => processKey(a.process, process)));
    const exploit = run(42, { processExploration: 0 });
    expect(exploit.proposals).toHaveLength(6);
    for (const p of exploit.proposals) {
      expect(checkProcessValues(p.process!, process)).toEqual([]);
      expect(Object.keys(p.process!).sort()).toEqual(['castingDiameterMm', 'coolingMethod']);
      // The glass model learned the process effect: every pick is cast by suction.
      expect(p.process!.coolingMethod).toBe('suction');
    }
    // By default a quarter of the batch (rounded up) tries processes no measured alloy was made with; the rest as before.
    const result = run(42);
    const novel = result.proposals.filter((p) => !made.has(processKey(p.process, process)));
    expect(novel.length).toBeGreaterThanOrEqual(2);
    for (const p of result.proposals.slice(-2)) expect(novel).toContain(p);
    expect(result.summary.processExploration).toBe(novel.length);
    for (const p of novel) expect(p.process!.castingDiameterMm).toBe(5);
    for (const p of result.proposals.filter((q) => !novel.includes(q))) expect(p.process!.coolingMethod).toBe('suction');
    expect(new Set(result.proposals.map((p) => p.process!.castingDiameterMm)).size).toBeGreaterThan(1);
    // The distance rule compares compositions: no composition twice in a batch.
    expect(new Set(result.proposals.map((p) => key(p.composition))).size).toBe(6);
    // Pending experiments are conditioned on with their own process (left out: the defaults).
    const near = exploit.proposals[0];
    const pendingAt = (pendingProcess?: (typeof near.process)[]) =>
      proposeBoBatch({ ...input(measured, [near.composition], 6, 42), space: withProcess, pendingProcess: pendingProcess as never }).proposals.map((p) => [key(p.composition), p.process]);
    expect(pendingAt([{ castingDiameterMm: 3, coolingMethod: 'copper-mould' }])).toEqual(pendingAt());
    expect(pendingAt([near.process])).not.toEqual(pendingAt());
    expectSeedReproducible((seed) => run(seed).proposals.flatMap((p) => [...Array.from(p.fractions), p.process!.castingDiameterMm as number, process[1].kind === 'categorical' ? process[1].values.indexOf(p.process!.coolingMethod as string) : -1]));
  });
});
