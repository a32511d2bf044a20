/**
 * Replay for TD3, stored as flat Float32Arrays (what tfjs wants): uniform (`ReplayBuffer`) or
 * prioritised (`PrioritizedReplayBuffer`, Schaul et al. 2016, proportional variant: a transition
 * is drawn with probability p_i^alpha / sum_k p_k^alpha, p_i = |TD error| + eps, and its loss is
 * weighted by (N P(i))^-beta / max_j (N P(j))^-beta, beta annealed to 1).
 */
import type { Random } from '../util/random.js';

export interface Transition {
  state: ArrayLike<number>;
  /** Normalised action in [-1, 1]^K (effective change / actionStep). */
  action: ArrayLike<number>;
  reward: number;
  nextState: ArrayLike<number>;
  /** 1 = terminal (no bootstrapping). */
  terminal: number;
}

/** B transitions, row-major. */
export interface TransitionBatch {
  size: number;
  states: Float32Array;
  actions: Float32Array;
  rewards: Float32Array;
  nextStates: Float32Array;
  terminals: Float32Array;
  /** Importance-sampling weight of each row's loss (1 for uniform draws). */
  weights: Float32Array;
  /** Buffer slot of each row for priority updates; -1 when it came from elsewhere (the TEP). */
  slots: Int32Array;
}

export function allocBatch(size: number, dim: number): TransitionBatch {
  return {
    size,
    states: new Float32Array(size * dim),
    actions: new Float32Array(size * dim),
    rewards: new Float32Array(size),
    nextStates: new Float32Array(size * dim),
    terminals: new Float32Array(size),
    weights: new Float32Array(size).fill(1),
    slots: new Int32Array(size).fill(-1),
  };
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly dim: number;
  private readonly s: Float32Array;
  private readonly a: Float32Array;
  private readonly r: Float32Array;
  private readonly s2: Float32Array;
  private readonly d: Float32Array;
  protected next = 0;
  size = 0;

  constructor(capacity: number, dim: number) {
    this.capacity = capacity;
    this.dim = dim;
    this.s = new Float32Array(capacity * dim);
    this.a = new Float32Array(capacity * dim);
    this.r = new Float32Array(capacity);
    this.s2 = new Float32Array(capacity * dim);
    this.d = new Float32Array(capacity);
  }

  /** Stores a transition; returns its slot. */
  add(t: Transition): number {
    const slot = this.next;
    const o = this.next * this.dim;
    for (let k = 0; k < this.dim; k++) {
      this.s[o + k] = t.state[k];
      this.a[o + k] = t.action[k];
      this.s2[o + k] = t.nextState[k];
    }
    this.r[this.next] = t.reward;
    this.d[this.next] = t.terminal;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
    return slot;
  }

  /** Copy `count` uniformly drawn transitions into `out` starting at row `offset`. */
  sampleInto(out: TransitionBatch, offset: number, count: number, rng: Random): void {
    for (let j = 0; j < count; j++) this.copyRow(rng.int(this.size), out, offset + j, 1, false);
  }

  protected copyRow(i: number, out: TransitionBatch, row: number, weight: number, keepSlot: boolean): void {
    const D = this.dim;
    out.states.set(this.s.subarray(i * D, i * D + D), row * D);
    out.actions.set(this.a.subarray(i * D, i * D + D), row * D);
    out.nextStates.set(this.s2.subarray(i * D, i * D + D), row * D);
    out.rewards[row] = this.r[i];
    out.terminals[row] = this.d[i];
    out.weights[row] = weight;
    out.slots[row] = keepSlot ? i : -1;
  }
}

export interface PrioritizedReplayConfig {
  /** How strongly priorities shape the draw (0 = uniform; paper: 0.6). */
  alpha: number;
  /** Importance-sampling correction at the start of training, annealed linearly to 1 (paper: 0.4). */
  betaStart: number;
  /** Added to |TD error| so no transition is never drawn again. */
  epsilon: number;
}

export const DEFAULT_PRIORITIZED_REPLAY: PrioritizedReplayConfig = { alpha: 0.6, betaStart: 0.4, epsilon: 1e-3 };

/**
 * Proportional prioritised replay over a sum tree: O(log n) draws and updates. New transitions get
 * the largest priority seen so far, so each is replayed at least about once.
 */
export class PrioritizedReplayBuffer extends ReplayBuffer {
  readonly config: PrioritizedReplayConfig;
  /** Sum tree over leaves [leafBase, leafBase + capacity): tree[k] = tree[2k] + tree[2k + 1]. */
  private readonly tree: Float64Array;
  /** Min tree over the same leaves (empty leaves +Infinity), for the largest weight. */
  private readonly minTree: Float64Array;
  private readonly leafBase: number;
  private maxPriority = 1;

  constructor(capacity: number, dim: number, config: Partial<PrioritizedReplayConfig> = {}) {
    super(capacity, dim);
    this.config = { ...DEFAULT_PRIORITIZED_REPLAY, ...config };
    let base = 1;
    while (base < capacity) base *= 2;
    this.leafBase = base;
    this.tree = new Float64Array(2 * base);
    this.minTree = new Float64Array(2 * base).fill(Infinity);
  }

  override add(t: Transition): number {
    const slot = super.add(t);
    this.setPriority(slot, this.maxPriority);
    return slot;
  }

  /** Sum of all priorities (p^alpha). */
  get total(): number {
    return this.tree[1];
  }

  /** Stratified draw of `count` rows; `progress` in [0, 1] anneals beta to 1. */
  sampleWeightedInto(out: TransitionBatch, offset: number, count: number, rng: Random, progress: number): void {
    const beta = this.config.betaStart + (1 - this.config.betaStart) * Math.min(1, Math.max(0, progress));
    const total = this.total;
    const segment = total / count;
    // The largest weight belongs to the least likely transition; weights are scaled by it.
    const minP = this.minTree[1] / total;
    const maxWeight = Math.pow(this.size * minP, -beta);
    for (let j = 0; j < count; j++) {
      const slot = this.find(Math.min(total * (1 - 1e-12), segment * (j + rng.next())));
      const p = this.tree[this.leafBase + slot] / total;
      this.copyRow(slot, out, offset + j, Math.pow(this.size * p, -beta) / maxWeight, true);
    }
  }

  /** New priorities from the TD errors of the rows of a batch drawn by sampleWeightedInto. */
  updatePriorities(slots: Int32Array, tdErrors: ArrayLike<number>): void {
    for (let j = 0; j < slots.length; j++) {
      if (slots[j] < 0) continue;
      const priority = Math.pow(Math.abs(tdErrors[j]) + this.config.epsilon, this.config.alpha);
      this.maxPriority = Math.max(this.maxPriority, priority);
      this.setPriority(slots[j], priority);
    }
  }

  priorityOf(slot: number): number {
    return this.tree[this.leafBase + slot];
  }

  private setPriority(slot: number, priority: number): void {
    let k = this.leafBase + slot;
    const delta = priority - this.tree[k];
    this.minTree[k] = priority;
    for (; k >= 1; k >>= 1) {
      this.tree[k] += delta;
      if (k < this.leafBase) this.minTree[k] = Math.min(this.minTree[2 * k], this.minTree[2 * k + 1]);
    }
  }

  /** The slot whose cumulative priority interval holds `mass`. */
  private find(mass: number): number {
    let k = 1;
    while (k < this.leafBase) {
      const left = 2 * k;
      if (mass < this.tree[left] || this.tree[left + 1] === 0) k = left;
      else {
        mass -= this.tree[left];
        k = left + 1;
      }
    }
    return Math.min(k - this.leafBase, this.size - 1);
  }
}
