/**
 * Trustworthy Experience Pool (TEP, AIMatDesign): real measurements turned into RL experience.
 *
 * Every pair of measured alloys (x_i, x_j) with the same element set whose fractions differ by at
 * most the action step is a transition the agent could have taken: (s = x_i, a = x_j - x_i,
 * s' = x_j), and its reverse. Each is rewarded by the environment's reward function using the
 * measured properties (surrogate predictions only where a property was not measured). A bounded
 * share of every training batch (paper: 5 %) is drawn from the pool, anchoring the critic to
 * reality. The pool grows as measurements arrive (`add`).
 */
import type { DesignSpace } from '../domain/design-space.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import type { Random } from '../util/random.js';
import { compositionPart, stateDim, toState } from '../domain/state.js';
import { elementSetKey, isLegal } from '../domain/design-space.js';
import { toFractions, usesOnlyElements } from '../domain/composition-grid.js';
import { computeReward, DEFAULT_REWARD_CONFIG, learningTarget, type RewardConfig } from '../rl/reward.js';
import { ReplayBuffer, type Transition, type TransitionBatch } from '../rl/replay-buffer.js';
import type { Objective } from '../domain/objectives.js';
import type { SinglePrediction, Surrogates } from '../domain/predictions.js';
import { predictionAt } from '../domain/predictions.js';
import { propertyValue } from '../domain/objectives.js';

export interface TepConfig {
  /** Largest per-element fraction difference for a pair to count as one step (paper: 0.05). */
  actionStep: number;
  /** Share of each training batch drawn from the pool (paper: at most 5 %). */
  batchShare: number;
  /** Upper bound on stored transitions (oldest overwritten). */
  capacity: number;
  /** As EnvConfig.successIsTerminal. */
  successIsTerminal: boolean;
  /** As EnvConfig.absorbingSuccessGamma. */
  absorbingSuccessGamma: number;
}

export const DEFAULT_TEP_CONFIG: TepConfig = { actionStep: 0.05, batchShare: 0.05, capacity: 200_000, successIsTerminal: false, absorbingSuccessGamma: 0 };

interface PoolEntry {
  x: Float64Array;
  /** Bitmask-like key of the present elements. */
  elementKey: string;
  properties: SinglePrediction;
}

export interface TepTransition extends Transition {
  fromIndex: number;
  toIndex: number;
}

export class TrustworthyExperiencePool {
  readonly config: TepConfig;
  readonly space: DesignSpace;
  readonly objectives: readonly Objective[];
  readonly rewardConfig: RewardConfig;
  private readonly entries: PoolEntry[] = [];
  private readonly buffer: ReplayBuffer;
  /** Every transition added, for inspection and tests (small: pairs of real measurements). */
  readonly transitions: TepTransition[] = [];
  private surrogates?: Surrogates;

  constructor(opts: {
    space: DesignSpace;
    objectives: readonly Objective[];
    surrogates?: Surrogates;
    rewardConfig?: Partial<RewardConfig>;
    config?: Partial<TepConfig>;
  }) {
    this.config = { ...DEFAULT_TEP_CONFIG, ...opts.config };
    this.space = opts.space;
    this.objectives = opts.objectives;
    this.surrogates = opts.surrogates;
    this.rewardConfig = { ...DEFAULT_REWARD_CONFIG, ...opts.rewardConfig };
    this.buffer = new ReplayBuffer(this.config.capacity, stateDim(opts.space));
  }

  get size(): number {
    return this.buffer.size;
  }

  /** Surrogates used to fill properties that were not measured (e.g. after AMR swapped them). */
  setSurrogates(s: Surrogates): void {
    this.surrogates = s;
  }

  addAll(alloys: readonly MeasuredAlloy[]): number {
    let n = 0;
    for (const a of alloys) n += this.add(a);
    return n;
  }

  /**
   * Add one measured alloy; returns the number of transitions it created. Alloys with elements
   * outside the campaign, or with an unknown glass label and no surrogate, are ignored.
   */
  add(alloy: MeasuredAlloy): number {
    const elements = this.space.elements;
    if (!usesOnlyElements(alloy.composition, elements)) return 0;
    // The agent's state: the fractions, then the process it was made with (defaults when unknown).
    const x = toState(toFractions(alloy.composition, elements), this.space, alloy.process);
    const properties = this.measuredProperties(alloy, x);
    if (!properties) return 0;
    const entry: PoolEntry = { x, elementKey: elementSetKey(compositionPart(x, this.space)), properties };
    let created = 0;
    for (const other of this.entries) {
      if (other.elementKey !== entry.elementKey || !withinStep(other.x, x, this.config.actionStep)) continue;
      if (maxDiff(other.x, x) === 0) continue; // the same composition measured twice is not a move
      const j = this.entries.indexOf(other);
      if (this.pushTransition(other, entry, j, this.entries.length)) created++;
      if (this.pushTransition(entry, other, this.entries.length, j)) created++;
    }
    this.entries.push(entry);
    return created;
  }

  /** Measured values, with surrogate predictions filling the gaps. */
  private measuredProperties(alloy: MeasuredAlloy, x: Float64Array): SinglePrediction | null {
    const others = this.objectives.map((o) => o.property).filter((q) => q !== 'yieldStrengthMPa' && q !== 'elongationPct');
    const needs = alloy.isGlass === null || alloy.yieldStrengthMPa === null || alloy.elongationPct === null || others.some((q) => propertyValue(alloy, q) === null);
    let pred: SinglePrediction | null = null;
    if (needs) {
      if (!this.surrogates) {
        if (alloy.isGlass === null) return null;
      } else {
        pred = predictionAt(this.surrogates.predictFractions([x]), 0);
      }
    }
    const pGlass = alloy.isGlass === null ? pred!.pGlass : alloy.isGlass ? 1 : 0;
    return {
      pGlass,
      yieldMean: alloy.yieldStrengthMPa ?? pred?.yieldMean ?? Number.NaN,
      yieldStd: alloy.yieldStrengthMPa === null ? (pred?.yieldStd ?? 0) : 0,
      elongationMean: alloy.elongationPct ?? pred?.elongationMean ?? Number.NaN,
      elongationStd: alloy.elongationPct === null ? (pred?.elongationStd ?? 0) : 0,
      ...(others.length
        ? {
            others: Object.fromEntries(
              others.map((q) => {
                const v = propertyValue(alloy, q);
                return [q, v !== null ? { mean: v, std: 0 } : pred?.others?.[q]];
              }).filter((e) => e[1] !== undefined),
            ),
          }
        : {}),
    };
  }

  private pushTransition(from: PoolEntry, to: PoolEntry, fromIndex: number, toIndex: number): boolean {
    const K = from.x.length;
    const action = new Float64Array(K);
    for (let k = 0; k < K; k++) action[k] = (to.x[k] - from.x[k]) / this.config.actionStep;
    const legal = isLegal(to.x, this.space);
    const out = computeReward(legal, 0, from.properties, to.properties, this.objectives, this.rewardConfig);
    // A NaN property (unmeasured, no surrogate) would poison the critic: drop the transition.
    if (!Number.isFinite(out.reward)) return false;
    const learn = learningTarget(out, to.properties, this.objectives, this.rewardConfig, this.config);
    const t: TepTransition = { state: from.x, action, reward: out.reward + learn.bonus, nextState: to.x, terminal: learn.terminal ? 1 : 0, fromIndex, toIndex };
    this.transitions.push(t);
    this.buffer.add(t);
    return true;
  }

  /** Rows of a training batch that come from the pool (0 when empty). */
  shareOf(batchSize: number): number {
    return this.size === 0 ? 0 : Math.min(this.size, Math.floor(batchSize * this.config.batchShare));
  }

  sampleInto(out: TransitionBatch, offset: number, count: number, rng: Random): void {
    this.buffer.sampleInto(out, offset, count, rng);
  }
}

function maxDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function withinStep(a: Float64Array, b: Float64Array, step: number): boolean {
  return maxDiff(a, b) <= step + 1e-9;
}
