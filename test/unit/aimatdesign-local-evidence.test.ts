import { describe, expect, it } from 'vitest';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { objectiveOutcomes, isSuccess } from '../../src/core/domain/success.js';
import { LocalEvidence } from '../../src/core/aimatdesign/local-evidence.js';
import { proposeBatch } from '../../src/core/aimatdesign/proposals.js';
import { toFractions } from '../../src/core/domain/composition-grid.js';
import type { Objective } from '../../src/core/domain/objectives.js';
import { Random } from '../../src/core/util/random.js';
import { TOY_SPACE, toySurrogates } from './design-helpers.js';

const OBJECTIVES = { requireGlass: true, targets: [{ property: 'yieldStrengthMPa' as const, threshold: 1600 }, { property: 'elongationPct' as const, threshold: 6 }] };
const alloy = (composition: Record<string, number>, isGlass: boolean | null, y: number | null, e: number | null): MeasuredAlloy => ({ composition, isGlass, yieldStrengthMPa: y, elongationPct: e });
const x = (c: Record<string, number>) => toFractions(c, TOY_SPACE.elements);

describe('local evidence', () => {
  it('counts each factor of success on its own, unknowns as unknown', () => {
    expect(objectiveOutcomes(alloy({ Zr: 60, Cu: 40 }, true, 1700, 4), OBJECTIVES)).toEqual([true, true, false]);
    expect(objectiveOutcomes(alloy({ Zr: 60, Cu: 40 }, false, null, null), OBJECTIVES)).toEqual([false, null, null]);
    expect(objectiveOutcomes(alloy({ Zr: 60, Cu: 40 }, null, 1500, null), OBJECTIVES)).toEqual([null, false, null]);
    // The factors agree with the success rule.
    for (const a of [alloy({ Zr: 60, Cu: 40 }, true, 1700, 7), alloy({ Zr: 60, Cu: 40 }, true, 1599, 7)]) {
      expect(objectiveOutcomes(a, OBJECTIVES).every((v) => v === true)).toBe(isSuccess(a, OBJECTIVES));
    }
  });

  it('pulls the model toward the lab near measurements and leaves it alone far from them', () => {
    const measured = [
      alloy({ Zr: 60, Cu: 25, Al: 10, Ni: 5 }, true, 1700, 7), // a success
      alloy({ Zr: 50, Cu: 30, Al: 20 }, false, null, null), // crystalline
      alloy({ Zr: 50, Fe: 50 }, true, 2000, 10), // outside the space's elements: ignored
    ];
    const evidence = LocalEvidence.fromMeasured(measured, TOY_SPACE, OBJECTIVES, { bandwidth: 2, priorWeight: 2 });
    expect(evidence.size).toBe(2);
    const model = [0.5, 0.2, 0.2];
    // Next to the success: every factor rises (each measured one pulls toward 1).
    const nearSuccess = evidence.blend(x({ Zr: 60.5, Cu: 25, Al: 9.5, Ni: 5 }), model);
    for (let f = 0; f < 3; f++) expect(nearSuccess[f]).toBeGreaterThan(model[f]);
    // Next to the crystalline alloy: glass falls, the properties (not measured there) stay.
    const nearCrystal = evidence.blend(x({ Zr: 50.5, Cu: 29.5, Al: 20 }), model);
    expect(nearCrystal[0]).toBeLessThan(model[0] * 0.75); // (2 x 0.5 + 0) / (2 + 0.94)
    expect(nearCrystal[1]).toBeCloseTo(model[1], 12);
    expect(nearCrystal[2]).toBeCloseTo(model[2], 12);
    // Far from both: the model's own guess.
    expect(evidence.blend(x({ Zr: 75, Cu: 5, Al: 5, Ni: 15 }), model)).toEqual(model);
    // Bandwidth 0: off.
    expect(LocalEvidence.fromMeasured(measured, TOY_SPACE, OBJECTIVES, { bandwidth: 0, priorWeight: 2 }).blend(x({ Zr: 60.5, Cu: 25, Al: 9.5, Ni: 5 }), model)).toEqual(model);
  });

  it('says nothing about glass when the campaign does not require it (crystalline successes pull candidates up)', () => {
    const crystalline = { requireGlass: false, targets: OBJECTIVES.targets };
    const measured = [alloy({ Zr: 60, Cu: 25, Al: 10, Ni: 5 }, false, 1700, 7)];
    const evidence = LocalEvidence.fromMeasured(measured, TOY_SPACE, crystalline, { bandwidth: 2, priorWeight: 2 });
    const near = evidence.blend(x({ Zr: 60.5, Cu: 25, Al: 9.5, Ni: 5 }), [1, 0.2, 0.2]);
    expect(near[0]).toBe(1); // the glass factor is the model's (1 when glass is not required)
    expect(near[1]).toBeGreaterThan(0.2);
    expect(near[2]).toBeGreaterThan(0.2);
  });

  it('steers a batch away from where the lab said no', async () => {
    const objectives: Objective[] = OBJECTIVES.targets.map((t) => ({ ...t, weight: 1 }));
    const surrogates = toySurrogates();
    const seeds = [{ Zr: 45, Cu: 35, Al: 15, Ni: 5 }, { Zr: 60, Cu: 20, Al: 10, Ni: 10 }];
    const base = { space: TOY_SPACE, objectives, surrogates, agent: null, measured: seeds, config: { batchSize: 6, rollouts: 16, rolloutSteps: 16, minDistance: 1 } };
    const free = await proposeBatch({ ...base, rng: new Random(11) });
    expect(free).toHaveLength(6);
    // The lab made the model's favourites and every one was crystalline.
    const failed = free.map((p) => alloy(p.composition, false, null, null));
    const evidence = LocalEvidence.fromMeasured(failed, TOY_SPACE, OBJECTIVES, { bandwidth: 2, priorWeight: 2 });
    const told = await proposeBatch({ ...base, measured: [...seeds, ...free.map((p) => p.composition)], rng: new Random(11), evidence });
    const without = await proposeBatch({ ...base, measured: [...seeds, ...free.map((p) => p.composition)], rng: new Random(11) });
    const nearest = (c: Record<string, number>) => Math.min(...free.map((p) => Math.hypot(...TOY_SPACE.elements.map((e) => (c[e] ?? 0) - (p.composition[e] ?? 0)))));
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(told.map((p) => nearest(p.composition)))).toBeGreaterThan(mean(without.map((p) => nearest(p.composition))) + 1);
    // Its success probabilities say what the lab said.
    for (const p of told) expect(p.successProbability).toBeLessThanOrEqual(1);
  });
});
