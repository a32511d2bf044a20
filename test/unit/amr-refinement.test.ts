import { describe, expect, it } from 'vitest';
import { RulesKnowledgeProvider } from '../../src/core/knowledge/rules-provider.js';
import { AutomaticModelRefinement, type RetrainResult } from '../../src/core/amr/amr.js';
import type { StepResult } from '../../src/core/rl/environment.js';
import type { StepObservation } from '../../src/core/amr/amr.js';
import { Random } from '../../src/core/util/random.js';
import { TOY_SPACE, toySurrogates } from './design-helpers.js';

/** A synthetic rollout step of n legal, classified transitions with rewards r and Q-values q. */
function observation(envSteps: number, r: number[], q: number[], rng: Random): StepObservation {
  const nextStates = r.map(() => {
    const zr = 0.4 + 0.2 * rng.next();
    const cu = 0.2 + 0.1 * rng.next();
    return Float64Array.from([zr, cu, (1 - zr - cu) / 2, (1 - zr - cu) / 2]);
  });
  const result = {
    states: nextStates,
    actions: nextStates,
    rewards: Float64Array.from(r),
    learnRewards: Float64Array.from(r),
    surrogateRewards: Float64Array.from(r),
    nextStates,
    terminals: new Uint8Array(r.length),
    truncated: new Uint8Array(r.length),
    outcomes: r.map(() => ({ reward: 0, done: false, legal: true, classified: true, metTargets: [], allTargetsMet: false, allDone: false })),
    predictions: r.map(() => ({ pGlass: 0.9, yieldMean: 1800, yieldStd: 50, elongationMean: 5, elongationStd: 0.5 })),
  } as StepResult;
  return { progress: envSteps / 100_000, envSteps, result, qValues: Float64Array.from(q) };
}

async function run(diverge: boolean, cvErrorAfter = 0.9, labDisagreement = false) {
  const retrained: string[][] = [];
  const amr = new AutomaticModelRefinement({
    provider: new RulesKnowledgeProvider(),
    elements: TOY_SPACE.elements,
    candidates: ['delta', 'dHmix', 'vec', 'dChi', 'omega'],
    current: { featureNames: ['delta'], cvError: 1, metrics: { rmse: 1 } },
    retrain: async (featureNames): Promise<RetrainResult> => {
      retrained.push(featureNames);
      return { surrogates: toySurrogates(), featureNames, cvError: cvErrorAfter, metrics: { rmse: cvErrorAfter } };
    },
    config: { window: 512, warmupProgress: 0.2, checkEvery: 1024, cooldown: 4096, minCorrelation: 0.3, maxRelativeStd: 10 },
    labDisagreement,
  });
  const rng = new Random(5);
  let replaced = 0;
  for (let step = 0; step < 100_000; step += 32) {
    const r = Array.from({ length: 32 }, () => rng.normal());
    // Clean: Q follows the reward. Injected divergence after 50 %: Q is unrelated to it.
    const broken = diverge && step > 50_000;
    const q = r.map((v) => (broken ? rng.normal() * 3 : 10 + 2 * v + 0.3 * rng.normal()));
    const o = observation(step, r, q, rng);
    amr.observe(o);
    if (await amr.maybeRefine(o)) replaced++;
  }
  return { amr, retrained, replaced };
}

describe('Automatic Model Refinement', () => {
  it('does not trigger on a clean run', async () => {
    const { amr, retrained } = await run(false);
    expect(amr.correlation()).toBeGreaterThan(0.9);
    expect(amr.events).toEqual([]);
    expect(retrained).toEqual([]);
  });

  it('triggers on an injected divergence, retrains with 1-3 new descriptors and keeps the better model', async () => {
    const { amr, retrained, replaced } = await run(true);
    expect(amr.events.length).toBeGreaterThanOrEqual(1);
    const e = amr.events[0];
    expect(e.reason).toBe('low-correlation');
    expect(e.envSteps).toBeGreaterThan(50_000);
    expect(e.correlationBefore).toBeLessThan(0.3);
    expect(e.featuresChosen.length).toBeGreaterThanOrEqual(1);
    expect(e.featuresChosen.length).toBeLessThanOrEqual(3);
    expect(e.featuresChosen).not.toContain('delta');
    expect(e.rationale).toMatch(/permutation importance/);
    expect(e.accepted).toBe(true);
    expect(e.metricsBefore).toEqual({ rmse: 1 });
    expect(e.metricsAfter).toEqual({ rmse: 0.9 });
    expect(e.correlationAfter).not.toBeNull();
    expect(retrained[0]).toEqual(['delta', ...e.featuresChosen]);
    expect(replaced).toBe(amr.events.filter((x) => x.accepted).length);
    expect(amr.featureNames.length).toBeGreaterThan(1);
  });

  it('rejects a refinement whose cross-validated error is worse', async () => {
    const { amr, replaced } = await run(true, 1.5);
    expect(amr.events.length).toBeGreaterThanOrEqual(1);
    expect(amr.events.every((e) => !e.accepted)).toBe(true);
    expect(replaced).toBe(0);
    expect(amr.featureNames).toEqual(['delta']);
  });

  it('refines once at the first check after the warm-up when the lab disagreed with the predictions', async () => {
    const { amr, retrained } = await run(false, 0.9, true);
    expect(amr.events).toHaveLength(1); // a clean run: only the lab's trigger
    const e = amr.events[0];
    expect(e.reason).toBe('lab-disagreement');
    expect(e.progress).toBeGreaterThanOrEqual(0.2);
    expect(e.progress).toBeLessThan(0.25);
    expect(e.accepted).toBe(true);
    expect(retrained).toHaveLength(1);
  });
});
