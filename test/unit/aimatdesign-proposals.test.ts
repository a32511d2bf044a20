import { beforeAll, describe, expect, it } from 'vitest';
import type { Composition } from '../../src/core/chemistry/types.js';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { runDesignIteration } from '../../src/core/aimatdesign/design-iteration.js';
import { proposeBatch } from '../../src/core/aimatdesign/proposals.js';
import { distanceToAnchors } from '../../src/core/aimatdesign/trust-region.js';
import { RulesKnowledgeProvider } from '../../src/core/knowledge/rules-provider.js';
import { gridKey, roundToGrid, toFractions, validate } from './design-proposals.helpers.js';
import { setupTf } from '../../src/core/rl/tf.js';
import { Random } from '../../src/core/util/random.js';
import { TINY_DESIGN_CONFIG, TOY_SPACE, toySurrogates } from './design-helpers.js';

beforeAll(async () => {
  await setupTf();
});

const objectives = [{ property: 'yieldStrengthMPa' as const, threshold: 1800, weight: 1 }];
const measured: Composition[] = [
  { Zr: 50, Cu: 30, Al: 10, Ni: 10 },
  { Zr: 55, Cu: 30, Al: 10, Ni: 5 },
  { Zr: 60, Cu: 25, Al: 15 },
];

function l1(a: Record<string, number>, b: Record<string, number>) {
  return TOY_SPACE.elements.reduce((s, el) => s + Math.abs((a[el] ?? 0) - (b[el] ?? 0)), 0);
}

describe('proposals', () => {
  it('respect the design space, the step grid, exclusions and diversity', async () => {
    const pending = [{ Zr: 50, Cu: 30, Al: 10.5, Ni: 9.5 }];
    const proposals = await proposeBatch({
      space: TOY_SPACE,
      objectives,
      surrogates: toySurrogates(),
      agent: null,
      rng: new Random(4),
      measured,
      pending,
      knowledge: new RulesKnowledgeProvider({ knownGlasses: measured }),
      config: { batchSize: 6, rollouts: 16, rolloutSteps: 16, minDistance: 4 },
    });
    expect(proposals).toHaveLength(6);
    const excluded = new Set([...measured, ...pending].map((c) => gridKey(roundToGrid(toFractions(c, TOY_SPACE.elements), 0.5), 0.5)));
    for (const p of proposals) {
      expect(validate(p.composition)).toEqual([]);
      for (const v of Object.values(p.composition)) expect(Math.abs(v * 2 - Math.round(v * 2))).toBeLessThan(1e-6);
      expect(excluded.has(gridKey(toFractions(p.composition, TOY_SPACE.elements), 0.5))).toBe(false);
      expect(p.pGlass).toBeGreaterThanOrEqual(0.5);
      expect(p.knowledge?.explanation).toMatch(/multicomponent/);
      expect(p.yieldStrengthMPa.std).toBe(50);
    }
    for (let i = 0; i < proposals.length; i++)
      for (let j = i + 1; j < proposals.length; j++) expect(l1(proposals[i].composition, proposals[j].composition)).toBeGreaterThanOrEqual(4 - 1e-9);
    // ranked best first
    for (let i = 1; i < proposals.length; i++) expect(proposals[i - 1].rank).toBeGreaterThanOrEqual(proposals[i].rank);
  });

  it('keep the minimum distance from pending experiments, not only from each other', async () => {
    const base = { space: TOY_SPACE, objectives, surrogates: toySurrogates(), agent: null, measured, config: { batchSize: 6, rollouts: 16, rolloutSteps: 16, minDistance: 6 } };
    const free = await proposeBatch({ ...base, rng: new Random(5) });
    // The lab is making the first two of these already: nothing within 6 at.% of them again.
    const pending = free.slice(0, 2).map((p) => p.composition);
    const next = await proposeBatch({ ...base, rng: new Random(5), pending });
    expect(next).toHaveLength(6);
    for (const p of next) for (const q of pending) expect(l1(p.composition, q)).toBeGreaterThanOrEqual(6 - 1e-9);
  });

  it('with a trust region, all but the exploration share of a batch lie within its radius of the anchors', async () => {
    const anchors = [toFractions({ Zr: 55, Cu: 30, Al: 10, Ni: 5 }, TOY_SPACE.elements)];
    const proposals = await proposeBatch({
      space: TOY_SPACE,
      objectives,
      surrogates: toySurrogates(),
      agent: null,
      rng: new Random(6),
      measured,
      config: { batchSize: 8, rollouts: 16, rolloutSteps: 16, minDistance: 1 },
      trustRegion: { anchors, radius: 3, explorationShare: 0.25 },
    });
    expect(proposals).toHaveLength(8);
    const inside = proposals.filter((p) => distanceToAnchors(toFractions(p.composition, TOY_SPACE.elements), anchors) <= 3 + 1e-9);
    expect(inside.length).toBeGreaterThanOrEqual(6);
    expect(inside.length).toBeLessThan(8); // the exploration share went outside
  });

  it('a design iteration trains, proposes and returns a checkpoint (seeded: same seed, same proposals)', async () => {
    const alloys: MeasuredAlloy[] = measured.map((c, i) => ({ composition: c, isGlass: true, yieldStrengthMPa: 1500 + 100 * i, elongationPct: 2 }));
    const run = () =>
      runDesignIteration({
        space: TOY_SPACE,
        objectives,
        measured: alloys,
        surrogates: toySurrogates(),
        knowledge: new RulesKnowledgeProvider(),
        seed: 9,
        config: TINY_DESIGN_CONFIG,
      });
    const a = await run();
    const b = await run();
    expect(a.proposals.length).toBe(4);
    expect(a.proposals.map((p) => p.composition)).toEqual(b.proposals.map((p) => p.composition));
    expect(a.checkpoint.actor.length).toBeGreaterThan(0);
    expect(a.training.envSteps).toBeGreaterThanOrEqual(1_024);
  });
});
