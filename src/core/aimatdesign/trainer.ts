/**
 * The training loop: N vectorised virtual labs feed one replay buffer; TD3 updates every
 * `updateEvery` vector steps (so 128,000 environment steps cost 128,000 / N / updateEvery
 * gradient rounds, not 128,000). A share of each batch comes from the TEP; the knowledge reward
 * is switched on by its schedule; an optional refinement monitor (AMR) sees (Q, surrogate reward)
 * pairs along the rollouts and may swap the surrogates.
 */
import type { Random } from '../util/random.js';
import type { TrustworthyExperiencePool } from '../tep/trustworthy-experience-pool.js';
import { successRates, type EnvStats, type SuccessRates } from '../rl/success-rates.js';
import { type StepResult, type VirtualLab } from '../rl/environment.js';
import { PrioritizedReplayBuffer, ReplayBuffer, allocBatch, type PrioritizedReplayConfig } from '../rl/replay-buffer.js';
import { knowledgeWeightAt, DEFAULT_KNOWLEDGE_SCHEDULE, type KnowledgeSchedule } from '../rl/reward.js';
import { DEFAULT_EXPLORATION, ExplorationNoise, type ExplorationConfig, type Td3Agent } from '../rl/td3.js';
import { TrainingCurveRecorder, type TrainingCurvePoint } from './training-curve.js';
import type { RefinementCheck, RefinementHook, StepObservation } from '../amr/amr.js';

export interface TrainConfig {
  /** Surrogate-evaluated environment steps (paper budget: 1000 episodes x 128 = 128,000). */
  totalSteps: number;
  /** Environment steps with uniform random actions before the first update. */
  learningStarts: number;
  /** Vector steps between update rounds, and TD3 updates per round. */
  updateEvery: number;
  gradientSteps: number;
  replayCapacity: number;
  /** Prioritised replay (optional in the issue; measured in bench:design --per); null = uniform. */
  prioritizedReplay: Partial<PrioritizedReplayConfig> | null;
  exploration: ExplorationConfig;
  /** Draw a share of each batch from the TEP (when one is given). */
  useTep: boolean;
  /** Knowledge-based reward weight schedule (weight 0 = off). */
  knowledge: KnowledgeSchedule;
  /** Baseline: uniform random actions, no learning. */
  randomPolicy: boolean;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  totalSteps: 128_000,
  learningStarts: 4_096,
  updateEvery: 1,
  gradientSteps: 1,
  replayCapacity: 200_000,
  prioritizedReplay: null,
  exploration: DEFAULT_EXPLORATION,
  useTep: true,
  knowledge: DEFAULT_KNOWLEDGE_SCHEDULE,
  randomPolicy: false,
};

export interface TrainReport {
  stats: EnvStats;
  rates: SuccessRates;
  envSteps: number;
  updates: number;
  wallSeconds: number;
  predictionsPerSecond: number;
  /** One point per 10 % of the run: episodes, mean reward, mean Q, corr(Q, reward), SR_legal/cls/80/done. */
  curve: TrainingCurvePoint[];
  /** The refinement monitor's checks during this run (empty without one). */
  refinementChecks: RefinementCheck[];
}

/** Curve points per training run, and Q samples wanted per point (Q costs a critic pass, so it is sampled). */
const CURVE_POINTS = 10;
const Q_SAMPLES_PER_POINT = 8;

function uniformAction(dim: number, rng: Random): Float64Array {
  const u = new Float64Array(dim);
  for (let k = 0; k < dim; k++) u[k] = rng.uniform(-1, 1);
  return u;
}

export async function trainAgent(opts: {
  env: VirtualLab;
  agent: Td3Agent | null;
  rng: Random;
  config?: Partial<TrainConfig>;
  tep?: TrustworthyExperiencePool | null;
  refinement?: RefinementHook | null;
  onProgress?: (progress: number, stats: EnvStats) => void;
}): Promise<TrainReport> {
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, ...opts.config };
  const { env, agent, rng } = opts;
  const K = env.dim;
  const t0 = performance.now();
  if (env.states.length === 0) env.reset();
  const N = env.states.length;
  const replay = cfg.prioritizedReplay ? new PrioritizedReplayBuffer(cfg.replayCapacity, K, cfg.prioritizedReplay) : new ReplayBuffer(cfg.replayCapacity, K);
  const noise = new ExplorationNoise(cfg.exploration, N, K, rng.fork());
  const batchSize = agent?.config.batchSize ?? 0;
  const batch = agent ? allocBatch(batchSize, K) : null;
  const curve = new TrainingCurveRecorder(env.stats);
  const vectorSteps = Math.ceil(cfg.totalSteps / N);
  const qStride = Math.max(1, Math.floor(vectorSteps / (CURVE_POINTS * Q_SAMPLES_PER_POINT)));
  let envSteps = 0;
  let vectorStep = 0;
  let updates = 0;
  let lastBin = 0;

  while (envSteps < cfg.totalSteps) {
    const progress = envSteps / cfg.totalSteps;
    env.knowledgeWeight = env.knowledge ? knowledgeWeightAt(progress, cfg.knowledge) : 0;
    // Actions: random during warm-up and for the baseline; else policy + decaying exploration noise.
    const learning = agent !== null && !cfg.randomPolicy && envSteps >= cfg.learningStarts;
    let u: Float64Array[];
    if (!learning) {
      u = env.states.map(() => uniformAction(K, rng));
    } else {
      u = agent!.act(env.states);
      for (let i = 0; i < N; i++) {
        const n = noise.sample(i, progress);
        for (let k = 0; k < K; k++) u[i][k] = Math.max(-1, Math.min(1, u[i][k] + n[k]));
      }
    }
    const bin = Math.min(CURVE_POINTS - 1, Math.floor(progress * CURVE_POINTS));
    if (bin !== lastBin) {
      curve.close(env.stats, envSteps);
      lastBin = bin;
    }
    const result = await env.step(u);
    envSteps += N;
    vectorStep++;
    // Q-values: every step when AMR watches (it needs them), else every qStride-th step for the curve.
    const qValues = learning && (opts.refinement || vectorStep % qStride === 0) ? agent!.qValues(result.states, result.actions) : null;
    curve.step(result.rewards, qValues ? legalPairs(qValues, result) : null);
    for (let i = 0; i < N; i++) {
      if (result.terminals[i] || result.truncated[i]) noise.reset(i);
      if (agent && !cfg.randomPolicy) {
        replay.add({ state: result.states[i], action: result.actions[i], reward: result.learnRewards[i], nextState: result.nextStates[i], terminal: result.terminals[i] });
      }
    }
    // TD3 updates, with the TEP's share of every batch.
    if (agent && batch && learning && vectorStep % cfg.updateEvery === 0 && replay.size >= batchSize) {
      for (let g = 0; g < cfg.gradientSteps; g++) {
        const fromTep = cfg.useTep && opts.tep ? opts.tep.shareOf(batchSize) : 0;
        if (replay instanceof PrioritizedReplayBuffer) replay.sampleWeightedInto(batch, 0, batchSize - fromTep, rng, progress);
        else replay.sampleInto(batch, 0, batchSize - fromTep, rng);
        if (fromTep) opts.tep!.sampleInto(batch, batchSize - fromTep, fromTep, rng);
        const out = agent.update(batch, { tdErrors: replay instanceof PrioritizedReplayBuffer });
        if (replay instanceof PrioritizedReplayBuffer) replay.updatePriorities(batch.slots, out.tdErrors!);
        updates++;
      }
    }
    if (opts.refinement) {
      const obs: StepObservation = { progress, envSteps, totalSteps: cfg.totalSteps, result, qValues };
      opts.refinement.observe(obs);
      const replacement = await opts.refinement.maybeRefine(obs);
      if (replacement) {
        env.surrogates = replacement;
        opts.tep?.setSurrogates(replacement);
      }
    }
    opts.onProgress?.(Math.min(1, envSteps / cfg.totalSteps), env.stats);
  }
  curve.close(env.stats, envSteps);
  const wallSeconds = (performance.now() - t0) / 1000;
  return {
    stats: { ...env.stats, met: [...env.stats.met] },
    rates: successRates(env.stats),
    envSteps,
    updates,
    wallSeconds,
    predictionsPerSecond: env.stats.predictions / Math.max(wallSeconds, 1e-9),
    curve: curve.points,
    refinementChecks: [...(opts.refinement?.checks ?? [])],
  };
}

/** (Q, surrogate reward) of the legal steps, the pairs AMR's correlation is computed on. */
function legalPairs(q: Float64Array, result: StepResult): { q: number[]; reward: number[] } {
  const out = { q: [] as number[], reward: [] as number[] };
  for (let i = 0; i < q.length; i++) {
    if (!result.predictions[i]) continue;
    out.q.push(q[i]);
    out.reward.push(result.surrogateRewards[i]);
  }
  return out;
}

/** Run the policy (plus optional fixed-scale noise) without learning; returns the env's rates. */
export async function evaluatePolicy(opts: {
  env: VirtualLab;
  agent: Td3Agent | null;
  rng: Random;
  steps: number;
  noise?: number;
}): Promise<SuccessRates & { stats: EnvStats }> {
  const { env, agent, rng } = opts;
  env.reset();
  const K = env.dim;
  let steps = 0;
  while (steps < opts.steps) {
    const u = agent ? agent.act(env.states) : env.states.map(() => uniformAction(K, rng));
    if (agent && opts.noise) for (const row of u) for (let k = 0; k < K; k++) row[k] = Math.max(-1, Math.min(1, row[k] + rng.normal(0, opts.noise)));
    await env.step(u);
    steps += env.states.length;
  }
  return { ...successRates(env.stats), stats: env.stats };
}
