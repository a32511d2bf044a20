import { describe, expect, it } from 'vitest';
import { isSuccess, missedObjectives, successSql, type SuccessObjectives } from '../../src/core/domain/success.js';

const both: SuccessObjectives = {
  requireGlass: true,
  targets: [
    { property: 'yieldStrengthMPa', threshold: 1800 },
    { property: 'elongationPct', threshold: 10 },
  ],
};

describe('success rule', () => {
  it('needs a glass and every threshold met (>=)', () => {
    expect(isSuccess({ isGlass: true, yieldStrengthMPa: 1800, elongationPct: 10 }, both)).toBe(true);
    expect(isSuccess({ isGlass: true, yieldStrengthMPa: 1799.9, elongationPct: 12 }, both)).toBe(false);
    expect(isSuccess({ isGlass: true, yieldStrengthMPa: 1900, elongationPct: 9.99 }, both)).toBe(false);
    expect(isSuccess({ isGlass: false, yieldStrengthMPa: 2000, elongationPct: 20 }, both)).toBe(false);
    expect(isSuccess({ isGlass: null, yieldStrengthMPa: 2000, elongationPct: 20 }, both)).toBe(false);
  });

  it('treats a missing value as not met', () => {
    expect(isSuccess({ isGlass: true, yieldStrengthMPa: null, elongationPct: 20 }, both)).toBe(false);
    expect(missedObjectives({ isGlass: null, yieldStrengthMPa: null, elongationPct: 3 }, both)).toEqual([
      'glass formation unknown',
      'yieldStrengthMPa not measured',
      'elongationPct 3 < 10',
    ]);
  });

  it('checks only the objectives the campaign has', () => {
    const glassOnly: SuccessObjectives = { requireGlass: true, targets: [] };
    expect(isSuccess({ isGlass: true, yieldStrengthMPa: null, elongationPct: null }, glassOnly)).toBe(true);
    const strengthOnly: SuccessObjectives = { requireGlass: false, targets: [{ property: 'yieldStrengthMPa', threshold: 1500 }] };
    expect(isSuccess({ isGlass: false, yieldStrengthMPa: 1600, elongationPct: null }, strengthOnly)).toBe(true);
    expect(missedObjectives({ isGlass: true, yieldStrengthMPa: 1800, elongationPct: 10 }, both)).toEqual([]);
  });

  it('has an SQL form with the same thresholds', () => {
    expect(successSql(both, 'x')).toBe('(x.is_glass IS TRUE AND coalesce(x.yield_strength_mpa >= 1800, false) AND coalesce(x.elongation_pct >= 10, false))');
    expect(successSql({ requireGlass: false, targets: [] })).toBe('true');
    expect(() => successSql({ requireGlass: false, targets: [{ property: 'yieldStrengthMPa', threshold: NaN }] })).toThrow(RangeError);
  });
});
