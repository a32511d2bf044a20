import { describe, expect, it } from 'vitest';
import { illegalReason, isLegal } from '../../src/core/domain/design-space.js';
import { projectToLegal, randomLegalComposition } from '../../src/core/domain/state.js';
import { roundToGrid, toFractions } from '../../src/core/domain/composition-grid.js';
import { successRates } from '../../src/core/rl/success-rates.js';
import { VirtualLab, type EnvConfig } from '../../src/core/rl/environment.js';
import { computeReward, learningTarget, DEFAULT_REWARD_CONFIG, illegalPenalty, knowledgeWeightAt } from '../../src/core/rl/reward.js';
import type { Objective } from '../../src/core/domain/objectives.js';
import type { SinglePrediction } from '../../src/core/domain/predictions.js';
import { Random } from '../../src/core/util/random.js';
import { TOY_SPACE, toySurrogates } from './design-helpers.js';

const objectives: Objective[] = [
  { property: 'yieldStrengthMPa', threshold: 1800, weight: 1 },
  { property: 'elongationPct', threshold: 10, weight: 1 },
];
const pred = (p: number, y: number, e: number): SinglePrediction => ({ pGlass: p, yieldMean: y, yieldStd: 0, elongationMean: e, elongationStd: 0 });

describe('design-space legality', () => {
  it('accepts a legal composition and names the rule a bad one breaks', () => {
    expect(illegalReason(toFractions({ Zr: 50, Cu: 30, Al: 10, Ni: 10 }, TOY_SPACE.elements), TOY_SPACE)).toBeNull();
    expect(illegalReason(toFractions({ Zr: 85, Cu: 10, Al: 5 }, TOY_SPACE.elements), TOY_SPACE)).toMatch(/Zr outside/);
    expect(illegalReason(toFractions({ Zr: 60, Cu: 40 }, TOY_SPACE.elements), TOY_SPACE)).toMatch(/2 elements/);
    expect(illegalReason(toFractions({ Zr: 35, Cu: 40, Al: 25 }, TOY_SPACE.elements), TOY_SPACE)).toMatch(/largest/);
    expect(illegalReason([0.5, 0.3, 0.1, 0.2], TOY_SPACE)).toMatch(/sum/);
    expect(illegalReason([0.7, 0.35, 0.1, -0.15], TOY_SPACE)).toMatch(/negative/);
  });

  it('rounds to the grid keeping the sum at exactly 1', () => {
    const g = roundToGrid([0.50123, 0.29877, 0.10004, 0.09996], 0.5);
    expect(Array.from(g).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    for (const v of g) expect(Math.abs(v * 200 - Math.round(v * 200))).toBeLessThan(1e-9);
  });

  it('safety layer: keeps a move that is legal, shortens or reshapes one that is not, never leaves the space', () => {
    const s = Float64Array.from([0.5, 0.3, 0.1, 0.1]);
    const fine = Float64Array.from([0.02, -0.01, -0.01, 0]);
    expect(Array.from(projectToLegal(s, fine, TOY_SPACE, 0.05))).toEqual(Array.from(fine));
    // Zr at 78 at.% pushed up by 5 (bound 80): the move keeps its direction as far as the space allows.
    const edge = Float64Array.from([0.78, 0.1, 0.06, 0.06]);
    const up = projectToLegal(edge, [0.05, -0.05 / 3, -0.05 / 3, -0.05 / 3], TOY_SPACE, 0.05);
    expect(edge[0] + up[0]).toBeCloseTo(0.8, 9);
    expect(up.reduce((a, b) => a + b, 0)).toBeCloseTo(0, 12);
    expect(isLegal(edge.map((v, i) => v + up[i]), TOY_SPACE)).toBe(true);
    // Al at 1 at.% asked to drop 5: it stays at one grid step (0.5 at.%), the element set is kept.
    const low = Float64Array.from([0.5, 0.3, 0.01, 0.19]);
    const down = projectToLegal(low, [0.02, 0.02, -0.05, 0.01], TOY_SPACE, 0.05);
    expect(low[2] + down[2]).toBeCloseTo(0.005, 9);
    // Many random moves from random legal states: every projected next state is legal, no change exceeds the step.
    const rng = new Random(11);
    for (let k = 0; k < 300; k++) {
      const x = randomLegalComposition(TOY_SPACE, rng)!;
      const a = Float64Array.from(x, (v) => (v > 0 ? rng.uniform(-0.05, 0.05) : 0));
      const mean = a.reduce((p, q) => p + q, 0) / a.filter((v) => v !== 0).length;
      for (let i = 0; i < 4; i++) if (x[i] > 0) a[i] -= mean;
      const big = Math.max(...a.map(Math.abs));
      if (big > 0.05) for (let i = 0; i < 4; i++) a[i] *= 0.05 / big; // as the environment hands it over
      const p = projectToLegal(x, a, TOY_SPACE, 0.05);
      expect(isLegal(x.map((v, i) => v + p[i]), TOY_SPACE)).toBe(true);
      for (const v of p) expect(Math.abs(v)).toBeLessThanOrEqual(0.05 + 1e-9);
    }
    // Not legal to begin with: no move.
    expect(Array.from(projectToLegal([0.9, 0.05, 0.05, 0], [0, 0, 0, 0], TOY_SPACE, 0.05))).toEqual([0, 0, 0, 0]);
  });

  it('draws random legal starts of 3..4 elements on the grid', () => {
    const rng = new Random(3);
    for (let i = 0; i < 50; i++) {
      const x = randomLegalComposition(TOY_SPACE, rng)!;
      expect(isLegal(x, TOY_SPACE)).toBe(true);
      const n = Array.from(x).filter((v) => v > 0).length;
      expect(n).toBeGreaterThanOrEqual(3);
    }
  });
});

describe('reward (paper)', () => {
  it('illegal -> negative penalty that shrinks with the step, done', () => {
    const r0 = computeReward(false, 0, null, null, objectives);
    expect(r0).toMatchObject({ reward: -1, done: true, legal: false });
    expect(illegalPenalty(127)).toBeCloseTo(-0.5, 6);
  });

  it('P(glass) < 0.5 -> p - 0.5 and done', () => {
    const r = computeReward(true, 3, pred(0.9, 1000, 1), pred(0.3, 2000, 20), objectives);
    expect(r.reward).toBeCloseTo(-0.2, 12);
    expect(r.done).toBe(true);
    expect(r.classified).toBe(false);
  });

  it('improvement terms and threshold bonus', () => {
    const prev = pred(0.8, 1500, 5);
    const next = pred(0.8, 1850, 6);
    const r = computeReward(true, 3, prev, next, objectives);
    const expected = 0.3 + 0.1 * Math.tanh(350 / 1800) + 0.2 + 0.1 * Math.tanh(1 / 10);
    expect(r.reward).toBeCloseTo(expected, 12);
    expect(r.metTargets).toEqual([true, false]);
    expect(r.done).toBe(false);
  });

  it('done when every objective is met (doneFactor 1; the authors\' 1.2 is configurable)', () => {
    const at = pred(0.9, 1900, 11);
    const paper = { ...DEFAULT_REWARD_CONFIG, doneFactor: 1.2 };
    expect(computeReward(true, 1, at, at, objectives).done).toBe(true);
    expect(computeReward(true, 1, at, pred(0.9, 1900, 9.9), objectives).done).toBe(false);
    expect(computeReward(true, 1, at, at, objectives, paper).done).toBe(false);
    expect(computeReward(true, 1, at, at, objectives, paper).allTargetsMet).toBe(true);
    expect(computeReward(true, 1, at, pred(0.9, 2200, 12.5), objectives, paper).done).toBe(true);
  });

  it('knowledge weight is 0 early and ramps in later stages', () => {
    const s = { start: 0.3, full: 0.6, weight: 0.1 };
    expect(knowledgeWeightAt(0.1, s)).toBe(0);
    expect(knowledgeWeightAt(0.45, s)).toBeCloseTo(0.05, 12);
    expect(knowledgeWeightAt(0.9, s)).toBe(0.1);
  });
});

describe('VirtualLab', () => {
  // The toy's yield peaks at 2000 MPa: with doneFactor 1.2 no step here is a success.
  const neverDone = { ...DEFAULT_REWARD_CONFIG, doneFactor: 1.2 };
  // The paper's environment: no safety layer, so the agent can step into illegal compositions.
  const lab = (n = 2, config: Partial<EnvConfig> = {}) =>
    new VirtualLab({ space: TOY_SPACE, objectives: objectives.slice(0, 1), surrogates: toySurrogates(), rng: new Random(1), config: { numEnvs: n, reward: neverDone, projectActions: false, ...config } });

  it('actions touch only present elements, sum to zero, and never exceed the step', () => {
    const env = lab();
    const s = Float64Array.from([0.6, 0.3, 0.1, 0]);
    const a = env.effectiveAction(s, [1, -1, 1, 1]);
    expect(a[3]).toBe(0);
    expect(a[0] + a[1] + a[2] + a[3]).toBeCloseTo(0, 12);
    for (const v of a) expect(Math.abs(v)).toBeLessThanOrEqual(0.05 + 1e-12);
  });

  it('steps in batch: legal move rewarded, illegal move penalised and restarted', async () => {
    const env = lab(2);
    const start = Float64Array.from([0.5, 0.3, 0.1, 0.1]);
    const edge = Float64Array.from([0.78, 0.1, 0.06, 0.06]);
    env.reset([start, edge]);
    const res = await env.step([
      [0, 0, 0, 0],
      [1, -1, -1, -1], // pushes Zr over its 80 at.% bound
    ]);
    expect(res.outcomes[0].legal).toBe(true);
    expect(res.outcomes[0].classified).toBe(true);
    expect(res.terminals[0]).toBe(0);
    expect(res.outcomes[1].legal).toBe(false);
    expect(res.rewards[1]).toBe(-1);
    expect(res.terminals[1]).toBe(1);
    expect(env.stats).toMatchObject({ steps: 2, legal: 1, classified: 1, episodes: 1 });
    expect(isLegal(env.states[1], TOY_SPACE)).toBe(true); // restarted
    expect(Array.from(env.states[0])).toEqual(Array.from(start));
  });

  it('not glass (Ni > 25 at.%) ends the episode with p - 0.5', async () => {
    const env = lab(1);
    env.reset([Float64Array.from([0.5, 0.2, 0.06, 0.24])]);
    const res = await env.step([[-1, -1, -1, 1]]);
    expect(res.outcomes[0].legal).toBe(true);
    expect(res.rewards[0]).toBeCloseTo(0.2 - 0.5, 12);
    expect(res.terminals[0]).toBe(1);
  });

  it('adds the knowledge term with the scheduled weight on classified steps only', async () => {
    const env = lab(1);
    env.knowledge = (states) => new Float64Array(states.length).fill(1);
    env.reset([Float64Array.from([0.5, 0.3, 0.1, 0.1])]);
    env.knowledgeWeight = 0.1;
    const res = await env.step([[0, 0, 0, 0]]);
    expect(res.rewards[0] - res.surrogateRewards[0]).toBeCloseTo(0.1, 12);
  });

  it('optionally rejects an illegal move instead of ending the episode (agent stays at s)', async () => {
    const env = new VirtualLab({ space: TOY_SPACE, objectives: objectives.slice(0, 1), surrogates: toySurrogates(), rng: new Random(1), config: { numEnvs: 1, illegalEndsEpisode: false, projectActions: false } });
    const edge = Float64Array.from([0.78, 0.1, 0.06, 0.06]);
    env.reset([edge]);
    const res = await env.step([[1, -1, -1, -1]]);
    expect(res.rewards[0]).toBe(-1);
    expect(res.terminals[0]).toBe(0);
    expect(Array.from(res.nextStates[0])).toEqual(Array.from(edge));
    expect(Array.from(env.states[0])).toEqual(Array.from(edge));
    expect(env.stats.episodes).toBe(0);
  });

  it('with the safety layer (default) the move that would break a bound is made legal instead', async () => {
    const env = lab(1, { projectActions: true });
    env.reset([Float64Array.from([0.78, 0.1, 0.06, 0.06])]);
    const res = await env.step([[1, -1, -1, -1]]);
    expect(res.outcomes[0].legal).toBe(true);
    expect(res.terminals[0]).toBe(0);
    expect(res.nextStates[0][0]).toBeCloseTo(0.8, 9);
  });

  it('start curriculum: once an element set has produced a success, episodes start there at the configured rate', async () => {
    const env = new VirtualLab({
      space: TOY_SPACE,
      objectives: objectives.slice(0, 1),
      surrogates: toySurrogates(),
      rng: new Random(5),
      config: { numEnvs: 1, startCurriculum: 1, successEndsEpisode: true },
    });
    // Without any success yet the starts are the paper's (random 3..4 element sets).
    const before = new Set(Array.from({ length: 40 }, () => env.sampleStart().map((v) => (v > 0 ? 1 : 0)).join('')));
    expect(before.size).toBeGreaterThan(1);
    env.reset([Float64Array.from([0.5, 0.3, 0.2, 0])]); // Zr-Cu-Al: yield ~1900 MPa here, a success
    const res = await env.step([[0, 0, 0, 0]]);
    expect(res.outcomes[0].allDone).toBe(true);
    for (let k = 0; k < 40; k++) {
      const x = env.sampleStart();
      expect(isLegal(x, TOY_SPACE)).toBe(true);
      expect(Array.from(x, (v) => (v > 0 ? 1 : 0))).toEqual([1, 1, 1, 0]);
    }
  });

  it('absorbing success: terminal for learning, with the value of staying at the goal added', async () => {
    const gamma = 0.9;
    const env = new VirtualLab({ space: TOY_SPACE, objectives: objectives.slice(0, 1), surrogates: toySurrogates(), rng: new Random(1), config: { numEnvs: 1, absorbingSuccessGamma: gamma } });
    env.reset([Float64Array.from([0.5, 0.3, 0.1, 0.1])]);
    const res = await env.step([[0, 0, 0, 0]]);
    expect(res.outcomes[0].allDone).toBe(true);
    expect([res.terminals[0], res.truncated[0]]).toEqual([1, 0]);
    const p = res.predictions[0]!;
    const stay = p.pGlass - 0.5 + 0.2; // at the goal: glass term and the threshold bonus, no improvement
    expect(learningTarget(res.outcomes[0], p, objectives.slice(0, 1), DEFAULT_REWARD_CONFIG, { successIsTerminal: false, absorbingSuccessGamma: gamma })).toEqual({ terminal: true, bonus: expect.closeTo((gamma * stay) / (1 - gamma), 9) });
    expect(res.learnRewards[0] - res.rewards[0]).toBeCloseTo((gamma * stay) / (1 - gamma), 9);
  });

  it('truncates after maxSteps', async () => {
    const env = new VirtualLab({ space: TOY_SPACE, objectives: objectives.slice(0, 1), surrogates: toySurrogates(), rng: new Random(1), config: { numEnvs: 1, maxSteps: 3, reward: neverDone } });
    env.reset([Float64Array.from([0.5, 0.3, 0.1, 0.1])]);
    for (let t = 0; t < 2; t++) expect((await env.step([[0, 0, 0, 0]])).truncated[0]).toBe(0);
    expect((await env.step([[0, 0, 0, 0]])).truncated[0]).toBe(1);
  });

  it('a success ends the episode as a time limit (bootstrapped); a rediscovery does not end it; SR_done counts as the authors\' done_record', async () => {
    const make = (successIsTerminal = false) =>
      new VirtualLab({ space: TOY_SPACE, objectives: objectives.slice(0, 1), surrogates: toySurrogates(), rng: new Random(1), config: { numEnvs: 1, successIsTerminal } });
    const start = Float64Array.from([0.5, 0.3, 0.1, 0.1]); // yield ~1990 MPa >= 1800: every step here is a success
    const env = make();
    env.reset([start]);
    const first = await env.step([[0, 0, 0, 0]]);
    expect(first.outcomes[0].allDone).toBe(true);
    expect([first.terminals[0], first.truncated[0]]).toEqual([0, 1]);
    env.reset([start]);
    const again = await env.step([[0, 0, 0, 0]]); // the same composition: found before
    expect(again.outcomes[0].allDone).toBe(true);
    expect(again.outcomes[0].done).toBe(false);
    expect([again.terminals[0], again.truncated[0]]).toEqual([0, 0]);
    env.reset([Float64Array.from([0.5, 0.2, 0.06, 0.24])]);
    await env.step([[-1, -1, -1, 1]]); // Ni > 25 at.%: not glass, a failure
    expect(env.stats).toMatchObject({ doneSuccesses: 1, doneFailures: 1 });
    expect(successRates(env.stats).srDone).toBe(0.5);

    const paper = make(true);
    paper.reset([start]);
    const terminal = await paper.step([[0, 0, 0, 0]]);
    expect([terminal.terminals[0], terminal.truncated[0]]).toEqual([1, 0]);

    // successEndsEpisode false: counted as a success, and the agent walks on from there.
    const walkOn = new VirtualLab({ space: TOY_SPACE, objectives: objectives.slice(0, 1), surrogates: toySurrogates(), rng: new Random(1), config: { numEnvs: 1, successEndsEpisode: false } });
    walkOn.reset([start]);
    const on = await walkOn.step([[0, 0, 0, 0]]);
    expect(on.outcomes[0].allDone).toBe(true);
    expect([on.terminals[0], on.truncated[0]]).toEqual([0, 0]);
    expect(Array.from(walkOn.states[0])).toEqual(Array.from(on.nextStates[0]));
    expect(walkOn.stats.doneSuccesses).toBe(1);
  });
});
