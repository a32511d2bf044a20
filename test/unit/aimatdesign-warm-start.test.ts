import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { withStrategyDefaults, type StrategySettings } from '../../src/core/domain/strategy.js';
import type { Td3Checkpoint } from '../../src/core/rl/td3.js';
import { AimatdesignStrategy } from '../../src/services/design/aimatdesign-strategy.js';
import type { DesignOutcome } from '../../src/services/design/strategy.js';
import { TOY_SPACE } from './design-helpers.js';
import { syntheticAlloys } from './surrogates-helpers.js';

/**
 * The design loop reads the campaign's settings at every iteration; a warm-started AIMatDesign
 * iteration (the previous iteration's agent checkpoint) trains with those settings, not with the
 * ones the checkpoint was trained with.
 */
describe('AIMatDesign warm start', () => {
  const measured = syntheticAlloys(60, 1);
  const objectives = { requireGlass: true, targets: [{ property: 'yieldStrengthMPa', threshold: 1400, weight: 1 }, { property: 'elongationPct', threshold: 5, weight: 1 }] };
  const strategy = new AimatdesignStrategy(loadConfig({}), null);
  const iterate = (settings: Partial<StrategySettings>, iteration: number, previous: DesignOutcome | null) =>
    strategy.propose({
      campaignId: 'c', space: TOY_SPACE, objectives, strategy: withStrategyDefaults({ amrEnabled: false, trustRegion: false, ...settings }),
      measured, pending: [], count: 2, seed: 7 + iteration, iteration,
      previous: { featureNames: previous?.modelVersions.at(-1)?.features ?? null, agentCheckpoint: previous?.agent?.weights ?? null, trustRegion: null },
      progress: async () => undefined, log: () => undefined,
    });

  it('trains the refreshed agent with the settings of the iteration, keeping the checkpoint network', { timeout: 120_000 }, async () => {
    const first = await iterate({ episodesPerIteration: 8, refreshEpisodes: 4, stepsPerEpisode: 16 }, 1, null);
    expect(first.agent?.config).toMatchObject({ episodes: 8, warmStart: false, stepsPerEpisode: 16 });
    expect(first.agent?.envSteps).toBe(8 * 16);
    // The settings changed between the iterations (as after an edit): the warm start follows them.
    const second = await iterate({ episodesPerIteration: 8, refreshEpisodes: 12, stepsPerEpisode: 32 }, 2, first);
    expect(second.agent?.config).toMatchObject({ episodes: 12, warmStart: true, stepsPerEpisode: 32 });
    expect(second.agent?.envSteps).toBe(12 * 32);
    const before = first.agent!.weights as Td3Checkpoint;
    const after = second.agent!.weights as Td3Checkpoint;
    expect(after.config.actorHidden).toEqual(before.config.actorHidden);
    expect(after.updates).toBeGreaterThan(before.updates);
    expect(second.proposals).toHaveLength(2);
  });
});
