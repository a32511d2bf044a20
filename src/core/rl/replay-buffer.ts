/** Uniform ring-buffer replay for TD3, stored as flat Float32Arrays (what tfjs wants). */
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
}

export function allocBatch(size: number, dim: number): TransitionBatch {
  return {
    size,
    states: new Float32Array(size * dim),
    actions: new Float32Array(size * dim),
    rewards: new Float32Array(size),
    nextStates: new Float32Array(size * dim),
    terminals: new Float32Array(size),
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
  private next = 0;
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

  add(t: Transition): void {
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
  }

  /** Copy `count` uniformly drawn transitions into `out` starting at row `offset`. */
  sampleInto(out: TransitionBatch, offset: number, count: number, rng: Random): void {
    const D = this.dim;
    for (let j = 0; j < count; j++) {
      const i = rng.int(this.size);
      const row = offset + j;
      out.states.set(this.s.subarray(i * D, i * D + D), row * D);
      out.actions.set(this.a.subarray(i * D, i * D + D), row * D);
      out.nextStates.set(this.s2.subarray(i * D, i * D + D), row * D);
      out.rewards[row] = this.r[i];
      out.terminals[row] = this.d[i];
    }
  }
}
