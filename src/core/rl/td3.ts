/**
 * TD3 (Fujimoto et al. 2018, "Addressing Function Approximation Error in Actor-Critic Methods"),
 * the agent of AIMatDesign, with TensorFlow.js.
 *
 *  - actor pi(s) -> u in [-1, 1]^K (tanh), projected like the environment does (only elements
 *    present, zero sum, |u_i| <= 1), so the critic always sees the action that is actually taken
 *  - twin critics Q1, Q2 (s, a) and the minimum of their targets (against over-estimation)
 *  - target networks, Polyak-averaged with tau
 *  - target policy smoothing: clipped Gaussian noise on the target action
 *  - delayed policy updates: actor and targets every `policyDelay` critic updates
 *  - exploration noise (OU or Gaussian) whose scale decays, see ExplorationNoise
 *
 * Networks are plain dense layers on tf.Variables (measured ~6x faster than tf.layers models on
 * the WASM backend for these sizes), LayerNorm + LeakyReLU as in the paper. Weights are drawn
 * from the seeded Random, and every noise sample too, so seeded runs are reproducible.
 */
import type { Random } from '../util/random.js';
import { PRESENCE_EPS } from '../domain/composition-grid.js';
import type { TransitionBatch } from './replay-buffer.js';
import { tf } from './tf.js';

export interface Td3Config {
  /** Hidden layer sizes. Paper: 256-256-128; 64-64 is ~13x faster on WASM for a ~10-element state. */
  actorHidden: number[];
  criticHidden: number[];
  layerNorm: boolean;
  leakyReluAlpha: number;
  actorLr: number;
  criticLr: number;
  /** Discount (paper: 0.99). */
  gamma: number;
  /** Polyak factor for target networks (paper: 0.01). */
  tau: number;
  /** Actor/target update every this many critic updates (paper: 2). */
  policyDelay: number;
  /** Target policy smoothing noise and its clip. */
  targetNoise: number;
  targetNoiseClip: number;
  /** Mini-batch size (paper: 512). */
  batchSize: number;
}

export const DEFAULT_TD3_CONFIG: Td3Config = {
  actorHidden: [64, 64],
  criticHidden: [64, 64],
  layerNorm: true,
  leakyReluAlpha: 0.01,
  actorLr: 3e-4,
  criticLr: 1e-3,
  gamma: 0.99,
  tau: 0.01,
  policyDelay: 2,
  targetNoise: 0.2,
  targetNoiseClip: 0.5,
  batchSize: 256,
};

/** The paper's network sizes, for comparison runs. */
export const PAPER_TD3_NETWORKS: Pick<Td3Config, 'actorHidden' | 'criticHidden' | 'batchSize'> = {
  actorHidden: [256, 256, 128],
  criticHidden: [256, 256, 128],
  batchSize: 512,
};

interface SerializedTensor {
  shape: number[];
  values: number[];
}

/** A dense network: [W, b, (gamma, beta)] per hidden layer, then [W, b] for the output. */
class Mlp {
  readonly vars: tf.Variable[] = [];
  private readonly hiddenCount: number;

  constructor(
    readonly sizes: number[],
    private readonly layerNorm: boolean,
    private readonly alpha: number,
    rng: Random,
    outputInitScale: number,
  ) {
    this.hiddenCount = sizes.length - 2;
    for (let l = 0; l < sizes.length - 1; l++) {
      const fanIn = sizes[l];
      const fanOut = sizes[l + 1];
      const last = l === sizes.length - 2;
      // Glorot-uniform hidden layers; a small last layer so initial actions/Q are near 0.
      const limit = last ? outputInitScale : Math.sqrt(6 / (fanIn + fanOut));
      const w = new Float32Array(fanIn * fanOut);
      for (let i = 0; i < w.length; i++) w[i] = rng.uniform(-limit, limit);
      this.vars.push(tf.variable(tf.tensor2d(w, [fanIn, fanOut])));
      this.vars.push(tf.variable(tf.zeros([fanOut])));
      if (!last && layerNorm) {
        this.vars.push(tf.variable(tf.ones([fanOut])));
        this.vars.push(tf.variable(tf.zeros([fanOut])));
      }
    }
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    let v = 0;
    for (let l = 0; l <= this.hiddenCount; l++) {
      h = tf.add(tf.matMul(h, this.vars[v++] as tf.Tensor2D), this.vars[v++]);
      if (l === this.hiddenCount) break;
      if (this.layerNorm) {
        const { mean, variance } = tf.moments(h, -1, true);
        h = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-5))), this.vars[v++]), this.vars[v++]);
      }
      h = tf.leakyRelu(h, this.alpha);
    }
    return h;
  }

  /** this <- tau * source + (1 - tau) * this. */
  softUpdateFrom(source: Mlp, tau: number): void {
    tf.tidy(() => {
      this.vars.forEach((t, i) => t.assign(tf.add(tf.mul(source.vars[i], tau), tf.mul(t, 1 - tau))));
    });
  }

  serialize(): SerializedTensor[] {
    return this.vars.map((v) => ({ shape: v.shape, values: Array.from(v.dataSync()) }));
  }

  load(weights: SerializedTensor[]): void {
    if (weights.length !== this.vars.length) throw new Error('checkpoint does not match the network layout');
    weights.forEach((w, i) => this.vars[i].assign(tf.tensor(w.values, w.shape)));
  }

  dispose(): void {
    this.vars.forEach((v) => v.dispose());
  }
}

/**
 * The environment's action projection in tensor form (normalised units): keep the elements
 * present in s, centre to zero sum over them, scale so max |a_i| <= 1.
 */
export function projectAction(u: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor2D {
  const mask = tf.cast(tf.greater(s, PRESENCE_EPS), 'float32');
  const a = tf.mul(tf.clipByValue(u, -1, 1), mask);
  const mean = tf.div(tf.sum(a, 1, true), tf.maximum(tf.sum(mask, 1, true), 1));
  const centred = tf.mul(tf.sub(a, mean), mask);
  const maxAbs = tf.max(tf.abs(centred), 1, true);
  return tf.div(centred, tf.maximum(maxAbs, 1)) as tf.Tensor2D;
}

/** The settings the stored weights depend on; the rest of Td3Config can change between iterations. */
type NetworkShapeKey = 'actorHidden' | 'criticHidden' | 'layerNorm' | 'leakyReluAlpha';

export interface Td3Checkpoint {
  version: 1;
  stateDim: number;
  config: Td3Config;
  updates: number;
  actor: SerializedTensor[];
  critic1: SerializedTensor[];
  critic2: SerializedTensor[];
  actorTarget: SerializedTensor[];
  critic1Target: SerializedTensor[];
  critic2Target: SerializedTensor[];
}

export class Td3Agent {
  readonly config: Td3Config;
  readonly stateDim: number;
  private readonly actor: Mlp;
  private readonly actorTarget: Mlp;
  private readonly critic1: Mlp;
  private readonly critic2: Mlp;
  private readonly critic1Target: Mlp;
  private readonly critic2Target: Mlp;
  private readonly actorOpt: tf.Optimizer;
  private readonly criticOpt: tf.Optimizer;
  private readonly rng: Random;
  /** Critic updates done so far. */
  updates = 0;

  constructor(stateDim: number, rng: Random, config: Partial<Td3Config> = {}) {
    this.config = { ...DEFAULT_TD3_CONFIG, ...config };
    this.stateDim = stateDim;
    this.rng = rng;
    const c = this.config;
    const actorSizes = [stateDim, ...c.actorHidden, stateDim];
    const criticSizes = [2 * stateDim, ...c.criticHidden, 1];
    const mk = (sizes: number[], outScale: number) => new Mlp(sizes, c.layerNorm, c.leakyReluAlpha, rng, outScale);
    this.actor = mk(actorSizes, 3e-3);
    this.critic1 = mk(criticSizes, 3e-3);
    this.critic2 = mk(criticSizes, 3e-3);
    this.actorTarget = mk(actorSizes, 3e-3);
    this.critic1Target = mk(criticSizes, 3e-3);
    this.critic2Target = mk(criticSizes, 3e-3);
    this.actorTarget.softUpdateFrom(this.actor, 1);
    this.critic1Target.softUpdateFrom(this.critic1, 1);
    this.critic2Target.softUpdateFrom(this.critic2, 1);
    this.actorOpt = tf.train.adam(c.actorLr);
    this.criticOpt = tf.train.adam(c.criticLr);
  }

  private policy(net: Mlp, s: tf.Tensor2D): tf.Tensor2D {
    return projectAction(tf.tanh(net.apply(s)), s);
  }

  private q(net: Mlp, s: tf.Tensor2D, a: tf.Tensor2D): tf.Tensor2D {
    return net.apply(tf.concat([s, a], 1));
  }

  private toTensor(rows: readonly ArrayLike<number>[]): tf.Tensor2D {
    const flat = new Float32Array(rows.length * this.stateDim);
    rows.forEach((r, i) => {
      for (let k = 0; k < this.stateDim; k++) flat[i * this.stateDim + k] = r[k];
    });
    return tf.tensor2d(flat, [rows.length, this.stateDim]);
  }

  /** Deterministic (projected) actions in normalised units for a batch of states. */
  act(states: readonly ArrayLike<number>[]): Float64Array[] {
    if (states.length === 0) return [];
    const flat = tf.tidy(() => this.policy(this.actor, this.toTensor(states)).dataSync());
    return states.map((_, i) => Float64Array.from(flat.subarray(i * this.stateDim, (i + 1) * this.stateDim)));
  }

  /** Q1(s, a) for a batch (AMR compares these with the surrogate reward). */
  qValues(states: readonly ArrayLike<number>[], actions: readonly ArrayLike<number>[]): Float64Array {
    if (states.length === 0) return new Float64Array(0);
    return Float64Array.from(tf.tidy(() => this.q(this.critic1, this.toTensor(states), this.toTensor(actions)).dataSync()));
  }

  /**
   * One TD3 update on a batch; returns the critic loss (and the actor loss when the actor moved).
   * The critic loss weights each row by `batch.weights` (prioritised replay's importance
   * weights; 1 otherwise); with `tdErrors`, also returns y - Q1(s, a) per row before the step.
   */
  update(batch: TransitionBatch, options: { tdErrors?: boolean } = {}): { criticLoss: number; actorLoss?: number; tdErrors?: Float32Array } {
    const c = this.config;
    const B = batch.size;
    const K = this.stateDim;
    // Target policy smoothing noise, from the seeded stream.
    const noise = new Float32Array(B * K);
    for (let i = 0; i < noise.length; i++) {
      noise[i] = Math.max(-c.targetNoiseClip, Math.min(c.targetNoiseClip, this.rng.normal(0, c.targetNoise)));
    }
    const result: { criticLoss: number; actorLoss?: number; tdErrors?: Float32Array } = { criticLoss: 0 };
    tf.tidy(() => {
      const s = tf.tensor2d(batch.states, [B, K]);
      const a = tf.tensor2d(batch.actions, [B, K]);
      const r = tf.tensor2d(batch.rewards, [B, 1]);
      const s2 = tf.tensor2d(batch.nextStates, [B, K]);
      const notDone = tf.sub(1, tf.tensor2d(batch.terminals, [B, 1]));
      // y = r + gamma (1 - d) min_i Q'_i(s', clip(pi'(s') + eps))
      const a2 = projectAction(tf.add(tf.tanh(this.actorTarget.apply(s2)), tf.tensor2d(noise, [B, K])) as tf.Tensor2D, s2);
      const qTarget = tf.minimum(this.q(this.critic1Target, s2, a2), this.q(this.critic2Target, s2, a2));
      const y = tf.add(r, tf.mul(tf.mul(notDone, c.gamma), qTarget));
      if (options.tdErrors) result.tdErrors = tf.sub(y, this.q(this.critic1, s, a)).dataSync() as Float32Array;
      const w = tf.tensor2d(batch.weights, [B, 1]);
      const criticVars = [...this.critic1.vars, ...this.critic2.vars];
      const criticLoss = this.criticOpt.minimize(
        () =>
          tf.add(
            tf.mean(tf.mul(w, tf.squaredDifference(y, this.q(this.critic1, s, a)))),
            tf.mean(tf.mul(w, tf.squaredDifference(y, this.q(this.critic2, s, a)))),
          ) as tf.Scalar,
        true,
        criticVars,
      );
      result.criticLoss = criticLoss ? criticLoss.dataSync()[0] : 0;
      this.updates++;
      if (this.updates % c.policyDelay === 0) {
        // Deterministic policy gradient through Q1 only (TD3).
        const actorLoss = this.actorOpt.minimize(
          () => tf.neg(tf.mean(this.q(this.critic1, s, this.policy(this.actor, s)))) as tf.Scalar,
          true,
          this.actor.vars,
        );
        result.actorLoss = actorLoss ? actorLoss.dataSync()[0] : 0;
        this.actorTarget.softUpdateFrom(this.actor, c.tau);
        this.critic1Target.softUpdateFrom(this.critic1, c.tau);
        this.critic2Target.softUpdateFrom(this.critic2, c.tau);
      }
    });
    return result;
  }

  /** Weights (all six networks) as JSON, for agent checkpoints. Optimiser moments are not kept. */
  toJSON(): Td3Checkpoint {
    return {
      version: 1,
      stateDim: this.stateDim,
      config: this.config,
      updates: this.updates,
      actor: this.actor.serialize(),
      critic1: this.critic1.serialize(),
      critic2: this.critic2.serialize(),
      actorTarget: this.actorTarget.serialize(),
      critic1Target: this.critic1Target.serialize(),
      critic2Target: this.critic2Target.serialize(),
    };
  }

  /**
   * A warm start. The network shape (layer sizes, LayerNorm, LeakyReLU slope) is the checkpoint's,
   * since the weights need it; the training settings (learning rates, discount, target updates,
   * noise, batch size) are `current`'s when given, so a warm-started agent trains as the
   * iteration's configuration says, not as the iteration that saved it did.
   */
  static fromJSON(cp: Td3Checkpoint, rng: Random, current?: Partial<Td3Config>): Td3Agent {
    const shape: Pick<Td3Config, NetworkShapeKey> = {
      actorHidden: cp.config.actorHidden,
      criticHidden: cp.config.criticHidden,
      layerNorm: cp.config.layerNorm,
      leakyReluAlpha: cp.config.leakyReluAlpha,
    };
    const agent = new Td3Agent(cp.stateDim, rng, { ...cp.config, ...current, ...shape });
    agent.actor.load(cp.actor);
    agent.critic1.load(cp.critic1);
    agent.critic2.load(cp.critic2);
    agent.actorTarget.load(cp.actorTarget);
    agent.critic1Target.load(cp.critic1Target);
    agent.critic2Target.load(cp.critic2Target);
    agent.updates = cp.updates;
    return agent;
  }

  dispose(): void {
    for (const m of [this.actor, this.actorTarget, this.critic1, this.critic2, this.critic1Target, this.critic2Target]) m.dispose();
    this.actorOpt.dispose();
    this.criticOpt.dispose();
  }
}

export interface ExplorationConfig {
  kind: 'ou' | 'gaussian';
  /** Noise std at the start and after decay (paper: OU decaying to 0.1); for OU the stationary std. */
  sigmaStart: number;
  sigmaEnd: number;
  /** OU mean reversion. */
  theta: number;
}

export const DEFAULT_EXPLORATION: ExplorationConfig = { kind: 'ou', sigmaStart: 0.5, sigmaEnd: 0.1, theta: 0.15 };

/**
 * Exploration noise per environment. OU noise is temporally correlated, which suits small
 * composition steps that must add up to a direction; its scale decays linearly with progress.
 */
export class ExplorationNoise {
  private readonly x: Float64Array[];

  constructor(
    readonly config: ExplorationConfig,
    numEnvs: number,
    private readonly dim: number,
    private readonly rng: Random,
  ) {
    this.x = Array.from({ length: numEnvs }, () => new Float64Array(dim));
  }

  sigmaAt(progress: number): number {
    const p = Math.min(1, Math.max(0, progress));
    return this.config.sigmaStart + (this.config.sigmaEnd - this.config.sigmaStart) * p;
  }

  reset(env: number): void {
    this.x[env].fill(0);
  }

  sample(env: number, progress: number): Float64Array {
    const sigma = this.sigmaAt(progress);
    const out = new Float64Array(this.dim);
    if (this.config.kind === 'gaussian') {
      for (let k = 0; k < this.dim; k++) out[k] = this.rng.normal(0, sigma);
      return out;
    }
    // Innovation scaled so the stationary std of the OU process is sigma (not sigma / sqrt(2 theta)).
    const x = this.x[env];
    const theta = this.config.theta;
    const innovation = sigma * Math.sqrt(theta * (2 - theta));
    for (let k = 0; k < this.dim; k++) {
      x[k] += -theta * x[k] + innovation * this.rng.normal();
      out[k] = x[k];
    }
    return out;
  }
}
