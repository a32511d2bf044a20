import { describe, expect, it } from 'vitest';
import { DEFAULT_AMR_CONFIG, scaledSchedule } from '../../src/core/amr/amr.js';
import { labDisagreement } from '../../src/core/amr/lab-disagreement.js';

const predicted = { yieldStrengthMPa: 1800, yieldStrengthStd: 50, elongationPct: 5, elongationStd: 1 };

describe('AMR checks', () => {
  it('scales the check schedule to short runs: two checks after the warm-up', () => {
    // a warm refresh of 25 x 128 = 3,200 steps: the paper's 4,096 would never check
    expect(scaledSchedule(DEFAULT_AMR_CONFIG, 3200)).toEqual({ checkEvery: 1280, window: 320, cooldown: 5120 });
    // the paper's 128,000 steps keep the paper's schedule
    expect(scaledSchedule(DEFAULT_AMR_CONFIG, 128_000)).toEqual({ checkEvery: 4096, window: 2048, cooldown: 16_384 });
    expect(scaledSchedule(DEFAULT_AMR_CONFIG, undefined).checkEvery).toBe(DEFAULT_AMR_CONFIG.checkEvery);
  });

  it('counts results outside the 95 % interval of either property and fires above the threshold', () => {
    const check = labDisagreement(
      [
        { predicted, measured: { yieldStrengthMPa: 1850, elongationPct: 5.5 } }, // z 1 and 0.5: inside
        { predicted, measured: { yieldStrengthMPa: 1600, elongationPct: 5 } }, // z 4: outside
        { predicted, measured: { yieldStrengthMPa: null, elongationPct: 8 } }, // z 3: outside
        { predicted, measured: { yieldStrengthMPa: null, elongationPct: null } }, // crystalline, nothing to compare
      ],
      0.5,
    );
    expect(check).toMatchObject({ kind: 'lab', results: 3, outside: 2, threshold: 0.5, fired: 'lab-disagreement' });
    expect(check.outsideShare).toBeCloseTo(2 / 3, 12);
    expect(check.meanAbsZ).toBeCloseTo((1 + 0.5 + 4 + 0 + 3) / 5, 12);
    expect(labDisagreement([{ predicted, measured: { yieldStrengthMPa: 1850, elongationPct: 5.5 } }], 0.5).fired).toBeNull();
    expect(labDisagreement([], 0.5)).toMatchObject({ results: 0, outsideShare: null, meanAbsZ: null, fired: null });
  });
});
