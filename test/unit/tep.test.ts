import { describe, expect, it } from 'vitest';
import type { MeasuredAlloy } from '../../src/core/domain/measured-alloy.js';
import { allocBatch } from '../../src/core/rl/replay-buffer.js';
import { TrustworthyExperiencePool } from '../../src/core/tep/trustworthy-experience-pool.js';
import { Random } from '../../src/core/util/random.js';
import { TOY_SPACE, toySurrogates } from './design-helpers.js';

const alloy = (c: Record<string, number>, y: number | null, e: number | null = 5, g: boolean | null = true): MeasuredAlloy => ({
  composition: c,
  isGlass: g,
  yieldStrengthMPa: y,
  elongationPct: e,
});

const objectives = [{ property: 'yieldStrengthMPa' as const, threshold: 1800, weight: 1 }];

describe('Trustworthy Experience Pool', () => {
  it('pairs alloys with the same element set within one action step, both directions, measured rewards', () => {
    const tep = new TrustworthyExperiencePool({ space: TOY_SPACE, objectives });
    const a = alloy({ Zr: 50, Cu: 30, Al: 10, Ni: 10 }, 1700);
    const b = alloy({ Zr: 53, Cu: 27, Al: 10, Ni: 10 }, 1900); // within 0.05 of a
    const c = alloy({ Zr: 60, Cu: 20, Al: 10, Ni: 10 }, 1600); // 0.10 from a, 0.07 from b
    const d = alloy({ Zr: 52, Cu: 30, Al: 18 }, 1800); // other element set
    expect(tep.add(a)).toBe(0);
    expect(tep.add(b)).toBe(2);
    expect(tep.add(c)).toBe(0);
    expect(tep.add(d)).toBe(0);
    expect(tep.size).toBe(2);
    const [ab, ba] = tep.transitions;
    expect(Array.from(ab.action).map((v) => +v.toFixed(6))).toEqual([0.6, -0.6, 0, 0]);
    // a -> b: glass p = 1 (measured), reaches 1800, improvement (1900 - 1700) / max(1800, 1700)
    expect(ab.reward).toBeCloseTo(0.5 + 0.2 + 0.1 * Math.tanh(200 / 1800), 12);
    expect(ba.reward).toBeCloseTo(0.5 + 0.1 * Math.tanh(-200 / 1900), 12);
    expect(ab.terminal).toBe(0);
  });

  it('uses measured glass labels and fills unmeasured properties from the surrogates', () => {
    const noSurrogates = new TrustworthyExperiencePool({ space: TOY_SPACE, objectives });
    noSurrogates.add(alloy({ Zr: 50, Cu: 30, Al: 10, Ni: 10 }, null));
    expect(noSurrogates.add(alloy({ Zr: 52, Cu: 28, Al: 10, Ni: 10 }, 1900))).toBe(0); // NaN reward dropped

    const tep = new TrustworthyExperiencePool({ space: TOY_SPACE, objectives, surrogates: toySurrogates() });
    tep.add(alloy({ Zr: 50, Cu: 30, Al: 10, Ni: 10 }, null));
    expect(tep.add(alloy({ Zr: 52, Cu: 28, Al: 10, Ni: 10 }, 1900, 5, false))).toBe(2);
    const toNotGlass = tep.transitions[0]; // earlier alloy -> the new (not glass) one
    expect(toNotGlass.reward).toBe(-0.5); // measured: not a glass -> p = 0 -> 0 - 0.5, done
    expect(toNotGlass.terminal).toBe(1);
  });

  it('supplies a bounded share of a batch', () => {
    const tep = new TrustworthyExperiencePool({ space: TOY_SPACE, objectives });
    expect(tep.shareOf(256)).toBe(0);
    tep.add(alloy({ Zr: 50, Cu: 30, Al: 10, Ni: 10 }, 1700));
    tep.add(alloy({ Zr: 53, Cu: 27, Al: 10, Ni: 10 }, 1900));
    expect(tep.shareOf(256)).toBe(2); // only 2 transitions exist
    for (let i = 0; i < 20; i++) tep.add(alloy({ Zr: 50 + 0.1 * (i + 1), Cu: 30 - 0.1 * (i + 1), Al: 10, Ni: 10 }, 1700 + i));
    expect(tep.shareOf(256)).toBe(12); // 5 %
    const batch = allocBatch(256, 4);
    tep.sampleInto(batch, 244, 12, new Random(1));
    expect(batch.rewards[250]).not.toBe(0);
  });
});
