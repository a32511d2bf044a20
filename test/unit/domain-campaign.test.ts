import { describe, expect, it } from 'vitest';
import { ELEMENT_SYMBOLS } from '../../src/core/chemistry/elements.js';
import { campaignProblems, type CampaignSpec } from '../../src/core/domain/campaign.js';
import { normaliseObjectives } from '../../src/core/domain/objectives.js';
import { DEFAULT_STRATEGY, STRATEGY_SETTING_RANGES, withStrategyDefaults } from '../../src/core/domain/strategy.js';

const KNOWN = new Set(ELEMENT_SYMBOLS);
const spec = (over: Partial<CampaignSpec> = {}): CampaignSpec => ({
  designSpace: {
    elements: ['Zr', 'Cu', 'Al'],
    bounds: { Zr: { min: 40, max: 80 }, Cu: { min: 0, max: 40 }, Al: { min: 0, max: 20 } },
    step: 0.5,
    minElements: 2,
    maxElements: 3,
    baseElement: 'Zr',
  },
  objectives: normaliseObjectives({ requireGlass: true, targets: [{ property: 'yieldStrengthMPa', threshold: 1500 }] }),
  budget: 48,
  batchSize: 8,
  seed: 1,
  strategy: withStrategyDefaults(undefined),
  ...over,
});

describe('the campaign model: one validator, one set of defaults', () => {
  it('accepts a valid campaign and the default strategy', () => {
    expect(campaignProblems(spec(), KNOWN)).toEqual([]);
  });

  it('names every problem of the design space, objectives, numbers and strategy at once', () => {
    const problems = campaignProblems(
      spec({
        designSpace: { ...spec().designSpace, elements: ['Zr', 'Cu', 'Xx'], bounds: { Zr: { min: 40, max: 80 }, Cu: { min: 0, max: 40 }, Xx: { min: 0, max: 20 } } },
        objectives: normaliseObjectives({ requireGlass: true, targets: [] }),
        budget: 4,
        batchSize: 8,
        seed: -1,
        strategy: { ...DEFAULT_STRATEGY, tepShare: 2, episodesPerIteration: 1.5, method: 'gradient' as never, trustRegion: 'yes' as never },
      }),
      KNOWN,
    );
    const text = problems.join('\n');
    expect(text).toMatch(/Xx is not a known element/);
    expect(text).toMatch(/seed must be in 0\.\.2147483647 \(got -1\)/);
    expect(text).toMatch(/batchSize 8 exceeds the budget of 4/);
    expect(text).toMatch(/tepShare must be in 0\.\.1 \(got 2\)/);
    expect(text).toMatch(/episodesPerIteration must be a whole number/);
    expect(text).toMatch(/method must be one of aimatdesign, random, genetic, bo/);
    expect(text).toMatch(/trustRegion must be true or false/);
    expect(problems.length).toBeGreaterThanOrEqual(7);
  });

  it('has defaults inside their own ranges, and fills only what is not given (undefined counts as not given)', () => {
    for (const [key, r] of Object.entries(STRATEGY_SETTING_RANGES)) {
      const v = DEFAULT_STRATEGY[key as keyof typeof STRATEGY_SETTING_RANGES];
      expect(v, key).toBeGreaterThanOrEqual(r.min);
      expect(v, key).toBeLessThanOrEqual(r.max);
    }
    expect(withStrategyDefaults({ tepShare: 0.5, knowledgeWeight: undefined })).toEqual({ ...DEFAULT_STRATEGY, tepShare: 0.5 });
  });
});
