import { describe, expect, it } from 'vitest';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { TOY_SPACE } from './design-helpers.js';
import {
  adaptiveExplorationShare,
  DEFAULT_TRUST_REGION_CONFIG,
  distanceToAnchors,
  sampleInRegion,
  trustRegionAnchors,
  updateTrustRegion,
} from '../../src/core/aimatdesign/trust-region.js';
import { isLegal } from '../../src/core/domain/design-space.js';
import { Random } from '../../src/core/util/random.js';

const SPACE = TOY_SPACE; // Zr Cu Al Ni
const OBJECTIVES = { requireGlass: true, targets: [{ property: 'yieldStrengthMPa' as const, threshold: 1600 }, { property: 'elongationPct' as const, threshold: 6 }] };

const alloy = (composition: Record<string, number>, isGlass: boolean, y: number | null, e: number | null): MeasuredAlloy => ({ composition, isGlass, yieldStrengthMPa: y, elongationPct: e });
const SEEDS: MeasuredAlloy[] = [
  alloy({ Zr: 60, Cu: 25, Al: 10, Ni: 5 }, true, 1700, 4), // near miss: score 4/6
  alloy({ Zr: 55, Cu: 30, Al: 15 }, true, 1500, 2),
  alloy({ Zr: 70, Cu: 20, Ni: 10 }, false, null, null),
  alloy({ Zr: 50, Fe: 20, Cu: 30 }, true, 1900, 9), // outside the space's elements: never an anchor
];
const miss = alloy({ Zr: 61, Cu: 24, Al: 10, Ni: 5 }, true, 1550, 3);
const success = alloy({ Zr: 59, Cu: 25, Al: 10, Ni: 6 }, true, 1650, 7);

describe('trust region', () => {
  it('anchors on the best measured alloys of the space, best first', () => {
    const anchors = trustRegionAnchors(SEEDS, OBJECTIVES, SPACE, 8);
    expect(anchors).toHaveLength(2); // the crystalline one scores 0, the Fe one is outside the space
    expect(Array.from(anchors[0]).map((v) => Math.round(v * 100))).toEqual([60, 25, 10, 5]);
  });

  it('grows after a batch with a success and shrinks after a batch without', () => {
    const cfg = DEFAULT_TRUST_REGION_CONFIG;
    let state = updateTrustRegion(null, SEEDS, OBJECTIVES, SPACE, 1);
    expect(state.radius).toBe(cfg.initialRadius);
    // The lab answers the first batch with misses only: shrink.
    const round1 = [...SEEDS, miss, miss];
    state = updateTrustRegion(state, round1, OBJECTIVES, SPACE, 2);
    expect(state.radius).toBeCloseTo(cfg.initialRadius * cfg.shrink);
    expect(state.history.at(-1)).toMatchObject({ newAlloys: 2, newSuccesses: 0, improved: false });
    // Then with a success: grow.
    const round2 = [...round1, success];
    state = updateTrustRegion(state, round2, OBJECTIVES, SPACE, 3);
    expect(state.radius).toBeCloseTo(cfg.initialRadius * cfg.shrink * cfg.grow);
    expect(state.history.at(-1)).toMatchObject({ newAlloys: 1, newSuccesses: 1 });
    // Bounded both ways.
    for (let i = 0; i < 30; i++) state = updateTrustRegion(state, [...round2, ...Array(i + 1).fill(miss)], OBJECTIVES, SPACE, 4 + i);
    expect(state.radius).toBe(cfg.minRadius);
    let grown = state;
    for (let i = 0; i < 30; i++) grown = updateTrustRegion(grown, [...round2, ...Array(31).fill(miss), ...Array(i + 1).fill(success)], OBJECTIVES, SPACE, 40 + i);
    expect(grown.radius).toBe(cfg.maxRadius);
  });

  it('an iteration with nothing new measured keeps the radius', () => {
    const state = updateTrustRegion(null, SEEDS, OBJECTIVES, SPACE, 1);
    expect(updateTrustRegion(state, SEEDS, OBJECTIVES, SPACE, 2).radius).toBe(state.radius);
  });

  it('samples legal grid compositions within the radius of an anchor', () => {
    const anchors = trustRegionAnchors(SEEDS, OBJECTIVES, SPACE, 8);
    const rng = new Random(3);
    let got = 0;
    for (let i = 0; i < 200; i++) {
      const x = sampleInRegion(anchors, 3, SPACE, rng);
      if (!x) continue;
      got++;
      expect(isLegal(x, SPACE)).toBe(true);
      expect(distanceToAnchors(x, anchors)).toBeLessThanOrEqual(3);
      for (const v of x) expect(Math.abs(v * 200 - Math.round(v * 200))).toBeLessThan(1e-9); // 0.5 at.% grid
    }
    expect(got).toBeGreaterThan(150);
  });
});

describe('trust region: exploration share follows the lab', () => {
  const cfg = DEFAULT_TRUST_REGION_CONFIG;
  it('starts at the stated share and stays there while one side is unmeasured', () => {
    expect(adaptiveExplorationShare({ measured: 0, score: 0 }, { measured: 0, score: 0 })).toBe(cfg.explorationShare);
    expect(adaptiveExplorationShare({ measured: 10, score: 8 }, { measured: 0, score: 0 })).toBe(cfg.explorationShare);
  });
  it('shrinks when the outside yields less and grows when it yields more, within bounds', () => {
    const poorOutside = adaptiveExplorationShare({ measured: 12, score: 11 }, { measured: 4, score: 0.4 });
    expect(poorOutside).toBeLessThan(cfg.explorationShare);
    expect(poorOutside).toBeGreaterThanOrEqual(cfg.minExplorationShare);
    const richOutside = adaptiveExplorationShare({ measured: 12, score: 4 }, { measured: 4, score: 4 });
    expect(richOutside).toBeGreaterThan(cfg.explorationShare);
    expect(richOutside).toBeLessThanOrEqual(cfg.maxExplorationShare);
    expect(adaptiveExplorationShare({ measured: 50, score: 50 }, { measured: 50, score: 0 })).toBe(cfg.minExplorationShare);
  });
  it('tallies the answers to proposals inside and outside the region they were made in', () => {
    let state = updateTrustRegion(null, SEEDS, OBJECTIVES, SPACE, 1);
    expect(state.anchors).toHaveLength(2);
    const far = alloy({ Zr: 40, Cu: 10, Al: 25, Ni: 25 }, false, null, null);
    state = updateTrustRegion(state, [...SEEDS, success, far], OBJECTIVES, SPACE, 2);
    expect(state.inside).toEqual({ measured: 1, score: expect.closeTo(1650 / 1600, 6) });
    expect(state.outside).toEqual({ measured: 1, score: 0 });
    expect(state.explorationShare).toBeLessThan(cfg.explorationShare);
    expect(state.history.at(-1)?.explorationShare).toBe(state.explorationShare);
  });
});
