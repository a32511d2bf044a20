import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualLab } from '../../src/core/rl/environment.js';
import { Td3Agent } from '../../src/core/rl/td3.js';
import { setupTf } from '../../src/core/rl/tf.js';
import { evaluatePolicy, trainAgent } from '../../src/core/aimatdesign/trainer.js';
import { Random } from '../../src/core/util/random.js';
import { TOY_SPACE, toySurrogates } from './design-helpers.js';

beforeAll(async () => {
  await setupTf();
});

function toyLab(seed: number) {
  return new VirtualLab({
    space: TOY_SPACE,
    objectives: [{ property: 'yieldStrengthMPa', threshold: 1800, weight: 1 }],
    surrogates: toySurrogates(),
    rng: new Random(seed),
    config: { numEnvs: 16, maxSteps: 32, measuredStartProb: 0, rediscoveryEndsEpisode: true, reward: { doneFactor: 1.2, glassThreshold: 0.5, improvementScale: 0.1, thresholdBonus: 0.2, noveltyBonus: 0, maxSteps: 32 } },
  });
}

describe('TD3 on a toy task: reach the yield peak at a target composition', () => {
  it('learns to reach the target far more often than a random policy', async () => {
    const rng = new Random(7);
    const agent = new Td3Agent(4, rng.fork(), { actorHidden: [64, 64], criticHidden: [64, 64], batchSize: 128, actorLr: 1e-3 });
    const t0 = Date.now();
    await trainAgent({ env: toyLab(1), agent, rng, config: { totalSteps: 12_000, learningStarts: 1_000, useTep: false, gradientSteps: 2 } });
    const trained = await evaluatePolicy({ env: toyLab(2), agent, rng: new Random(3), steps: 2_000 });
    const random = await evaluatePolicy({ env: toyLab(2), agent: null, rng: new Random(3), steps: 2_000 });
    console.log('toy TD3', { seconds: (Date.now() - t0) / 1000, trained: [trained.sr80[0], trained.srEpisodes], random: [random.sr80[0], random.srEpisodes] });
    // Share of steps at/above the yield threshold, and of episodes that get there.
    expect(trained.sr80[0]).toBeGreaterThan(0.5);
    expect(trained.sr80[0]).toBeGreaterThan(2 * random.sr80[0]);
    expect(trained.srEpisodes).toBeGreaterThan(random.srEpisodes + 0.2);
    agent.dispose();
  });

  it('is reproducible: same seed, same actions; checkpoints round-trip', async () => {
    const run = async () => {
      const rng = new Random(11);
      const agent = new Td3Agent(4, rng.fork(), { actorHidden: [16], criticHidden: [16], batchSize: 32 });
      await trainAgent({ env: toyLab(5), agent, rng, config: { totalSteps: 1_000, learningStarts: 200, useTep: false } });
      return agent;
    };
    const a = await run();
    const b = await run();
    const probe = [Float64Array.from([0.6, 0.2, 0.1, 0.1])];
    expect(a.act(probe)[0]).toEqual(b.act(probe)[0]);
    const c = Td3Agent.fromJSON(JSON.parse(JSON.stringify(a.toJSON())), new Random(1));
    const qa = a.qValues(probe, a.act(probe));
    expect(c.act(probe)[0]).toEqual(a.act(probe)[0]);
    expect(c.qValues(probe, c.act(probe))[0]).toBeCloseTo(qa[0], 5);
    // A warm start trains with the current settings and keeps the checkpoint's network shape.
    const d = Td3Agent.fromJSON(a.toJSON(), new Random(1), { actorHidden: [64, 64], gamma: 0.9, actorLr: 1e-3, batchSize: 16 });
    expect(d.config).toMatchObject({ actorHidden: [16], criticHidden: [16], gamma: 0.9, actorLr: 1e-3, batchSize: 16 });
    expect(d.act(probe)[0]).toEqual(a.act(probe)[0]);
    expect(c.config).toEqual(a.config);
    for (const x of [a, b, c, d]) x.dispose();
  });
});
