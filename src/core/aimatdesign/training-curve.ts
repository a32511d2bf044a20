/**
 * The agent's training curve as one design iteration records it and the progress report reads
 * it: one point per tenth of the training run with the episodes completed so far, the mean
 * reward, the critic's mean Q and its Pearson correlation with the surrogate reward (what AMR
 * watches), and the paper's success rates over that stretch: SR_legal (legal steps / steps),
 * SR_cls (glass-classified / legal), SR_80 per target (prediction >= threshold / classified) and
 * SR_done (successful ends / all ends).
 */
import { pearson } from '../surrogates/metrics.js';
import type { RefinementCheck } from '../amr/amr.js';
import type { EnvStats, SuccessRates } from '../rl/success-rates.js';

export interface TrainingCurvePoint {
  /** Episodes completed up to the end of this stretch of training. */
  episode: number;
  /** Environment steps up to the end of this stretch. */
  envSteps: number;
  meanReward: number | null;
  /** Mean Q1(s, a) of the sampled steps (null before learning starts). */
  meanQ: number | null;
  /** Pearson corr(Q, surrogate reward) of the sampled steps (null when too few or constant). */
  qRewardCorrelation: number | null;
  srLegal: number | null;
  srCls: number | null;
  /** One per objective, in the campaign's target order. */
  sr80: Array<number | null>;
  srDone: number | null;
}

/** What an agent checkpoint stores as its training curve (agent_checkpoint.training_curve). */
export interface TrainingCurve {
  points: TrainingCurvePoint[];
  /** Rates over the whole run. */
  rates: SuccessRates;
  predictionsPerSecond: number;
  wallSeconds: number;
  /** AMR's checks of this iteration, fired or not: the lab check first (when results came back), then those during training. */
  amrChecks: RefinementCheck[];
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/** Collects the curve while the trainer runs: call `step` every vector step and `close` at each stretch's end. */
export class TrainingCurveRecorder {
  readonly points: TrainingCurvePoint[] = [];
  private rewardSum = 0;
  private rewardCount = 0;
  private q: number[] = [];
  private r: number[] = [];
  private from: EnvStats;

  constructor(stats: EnvStats) {
    this.from = snapshot(stats);
  }

  /** Rewards of one vector step, and (when sampled) the Q-values with their surrogate rewards. */
  step(rewards: ArrayLike<number>, sampled: { q: ArrayLike<number>; reward: ArrayLike<number> } | null): void {
    for (let i = 0; i < rewards.length; i++) {
      this.rewardSum += rewards[i];
      this.rewardCount++;
    }
    if (sampled) {
      for (let i = 0; i < sampled.q.length; i++) {
        if (!Number.isFinite(sampled.q[i])) continue;
        this.q.push(sampled.q[i]);
        this.r.push(sampled.reward[i]);
      }
    }
  }

  /** Ends a stretch: one point from what was seen since the last one. */
  close(stats: EnvStats, envSteps: number): void {
    if (this.rewardCount === 0) return;
    const f = this.from;
    const steps = stats.steps - f.steps;
    const legal = stats.legal - f.legal;
    const classified = stats.classified - f.classified;
    const ends = stats.doneSuccesses + stats.doneFailures - f.doneSuccesses - f.doneFailures;
    const corr = this.q.length >= 8 ? pearson(this.q, this.r) : Number.NaN;
    this.points.push({
      episode: stats.episodes,
      envSteps,
      meanReward: this.rewardSum / this.rewardCount,
      meanQ: this.q.length ? this.q.reduce((a, b) => a + b, 0) / this.q.length : null,
      qRewardCorrelation: Number.isFinite(corr) ? corr : null,
      srLegal: ratio(legal, steps),
      srCls: ratio(classified, legal),
      sr80: stats.met.map((m, k) => ratio(m - f.met[k], classified)),
      srDone: ratio(stats.doneSuccesses - f.doneSuccesses, ends),
    });
    this.from = snapshot(stats);
    this.rewardSum = 0;
    this.rewardCount = 0;
    this.q = [];
    this.r = [];
  }
}

function snapshot(s: EnvStats): EnvStats {
  return { ...s, met: [...s.met] };
}
