/**
 * Vectorised virtual lab (the paper's environment, N copies stepping together so the surrogates
 * predict one batch per step).
 *
 * state  s  = fractions over the campaign's elements (sum 1)
 * action a  = the actor's output u in [-1, 1]^K, scaled by actionStep, restricted to the elements
 *             present at the start of the episode (so the element set is fixed within an episode),
 *             centred to zero sum and scaled down so every |a_i| <= actionStep
 * s'        = s + a; illegal (outside bounds / design space / sum != 1) -> penalty, episode ends
 * reward    = see reward.ts (+ knowledge term weighted by the training-stage schedule)
 *
 * With process variables (issue 16) the state has one more entry per variable, its value scaled
 * to [0, 1] (design-space.ts stateDim, process.ts encodeProcess), and so has the action: the
 * actor's output for it, times actionStep, moves the value, clamped to [0, 1] (decoded onto the
 * variable's grid when a proposal is made). Starts from measured alloys carry their process
 * (defaults when unknown); other starts draw the process at random.
 */
import type { DesignSpace } from '../domain/design-space.js';
import type { Random } from '../util/random.js';
import { PRESENCE_EPS, gridKey } from '../domain/composition-grid.js';
import { compositionPart, projectToLegal, randomLegalComposition, stateDim, toState, withRandomProcess } from '../domain/state.js';
import { elementSetKey, isLegal } from '../domain/design-space.js';
import { computeReward, DEFAULT_REWARD_CONFIG, learningTarget, type RewardConfig, type RewardOutcome } from './reward.js';
import type { KnowledgeScorer } from '../knowledge/types.js';
import type { Objective } from '../domain/objectives.js';
import type { SinglePrediction, SurrogatePredictions, Surrogates } from '../domain/predictions.js';
import { emptyStats, type EnvStats } from './success-rates.js';
import { predictionAt } from '../domain/predictions.js';

export interface EnvConfig {
  /** Number of environments stepping together. */
  numEnvs: number;
  /** Largest change of one fraction per step (paper: 0.05). */
  actionStep: number;
  /** Episode length (paper: 128). */
  maxSteps: number;
  /** Probability that an episode starts from a measured alloy (else a random legal composition). */
  measuredStartProb: number;
  /** Element counts of random start compositions (paper: 3..7). */
  randomMinElements: number;
  randomMaxElements: number;
  /**
   * Paper: an illegal composition (or P(glass) < 0.5) ends the episode. When false, the move is
   * rejected instead: the penalty is paid, the agent stays at s and the episode goes on (the lab
   * cannot make that alloy, nothing was lost). Measured in bench:design (--no-terminate).
   */
  illegalEndsEpisode: boolean;
  nonGlassEndsEpisode: boolean;
  /** Paper: reaching an already-found done composition does not end the episode. */
  rediscoveryEndsEpisode: boolean;
  /**
   * The issue (and the paper): a new composition meeting every objective ends the episode. false:
   * the agent walks on from it (still counted a success); measured in bench:design
   * (--success-continues).
   */
  successEndsEpisode: boolean;
  /** Authors' code: a success is terminal for learning; see learningTarget (bench:design --success-terminal). */
  successIsTerminal: boolean;
  /**
   * Our addition: the agent's moves pass through a safety layer (projectToLegal) that keeps them
   * inside the stated design space, so no step is spent on a composition the campaign already
   * rules out. The environment still judges legality itself. Measured in bench:design
   * (--no-projection gives the paper's unprojected agent).
   */
  projectActions: boolean;
  /**
   * > 0: a success that ends the episode is learnt as an absorbing goal state with this discount
   * (see learningTarget); 0: learnt as a time limit (bootstrap through it).
   */
  absorbingSuccessGamma: number;
  /**
   * Start curriculum (our addition): the element set is fixed within an episode, and most sets
   * cannot reach every target at all. With this probability an episode starts from a random
   * composition of an element set that has already produced a success, chosen in proportion to
   * its success rate so far ((successes + 1) / (episodes + 2)); otherwise as the paper does.
   * 0 = off. Measured in bench:design (--curriculum).
   */
  startCurriculum: number;
  reward: RewardConfig;
}

export const DEFAULT_ENV_CONFIG: EnvConfig = {
  numEnvs: 32,
  actionStep: 0.05,
  maxSteps: 128,
  measuredStartProb: 0.5,
  randomMinElements: 3,
  randomMaxElements: 7,
  illegalEndsEpisode: true,
  nonGlassEndsEpisode: true,
  rediscoveryEndsEpisode: false,
  successEndsEpisode: true,
  successIsTerminal: false,
  projectActions: true,
  absorbingSuccessGamma: 0,
  startCurriculum: 0.5,
  reward: DEFAULT_REWARD_CONFIG,
};

export interface StepResult {
  /** States before the step (copies), effective normalised actions (a / actionStep), rewards, next states. */
  states: Float64Array[];
  actions: Float64Array[];
  rewards: Float64Array;
  /** What the learner stores: rewards plus the absorbing value of successes (absorbingSuccessGamma). */
  learnRewards: Float64Array;
  nextStates: Float64Array[];
  /** Terminal (no bootstrapping): illegal, not glass or all targets done. */
  terminals: Uint8Array;
  /** Episode ended by the step limit (bootstrap through it). */
  truncated: Uint8Array;
  outcomes: RewardOutcome[];
  /** Surrogate reward (without the knowledge term), for AMR's correlation monitor. */
  surrogateRewards: Float64Array;
  /** Prediction at s' (null when illegal). */
  predictions: (SinglePrediction | null)[];
}

export interface VirtualLabOptions {
  space: DesignSpace;
  objectives: readonly Objective[];
  surrogates: Surrogates;
  rng: Random;
  config?: Partial<EnvConfig>;
  /** Start states from measured alloys (fraction vectors over space.elements; illegal ones are skipped). */
  measuredStarts?: readonly Float64Array[];
  /**
   * Trust region (src/core/aimatdesign/trust-region.ts): with probability `share` an episode starts
   * from `sample()` (a composition near the best measured alloys); null from it falls through.
   */
  regionStarts?: { share: number; sample: () => Float64Array | null };
  knowledge?: KnowledgeScorer;
}

export class VirtualLab {
  readonly config: EnvConfig;
  readonly space: DesignSpace;
  readonly objectives: readonly Objective[];
  /** State and action length: the elements' fractions, then the process variables. */
  readonly dim: number;
  /** Number of elements (the composition part of a state). */
  private readonly K: number;
  surrogates: Surrogates;
  knowledge?: KnowledgeScorer;
  /** Weight of the knowledge term; set by the trainer's schedule. */
  knowledgeWeight = 0;
  readonly stats: EnvStats;
  states: Float64Array[] = [];
  private readonly rng: Random;
  private readonly starts: Float64Array[];
  private readonly regionStarts?: { share: number; sample: () => Float64Array | null };
  private prevPred: (SinglePrediction | null)[] = [];
  private episodeStep: number[] = [];
  private episodeAllMet: boolean[] = [];
  private episodeFound: boolean[] = [];
  /** Per element set (see elementSetKey): episodes started there and episodes with a success, for the start curriculum. */
  private readonly elementSets = new Map<string, { elements: string[]; episodes: number; successes: number }>();
  /** Done compositions found so far (grid keys), for the paper's novelty bonus. */
  readonly discovered = new Map<string, number>();

  constructor(opts: VirtualLabOptions) {
    this.config = { ...DEFAULT_ENV_CONFIG, ...opts.config, reward: { ...DEFAULT_REWARD_CONFIG, ...opts.config?.reward } };
    this.space = opts.space;
    this.objectives = opts.objectives;
    this.surrogates = opts.surrogates;
    this.knowledge = opts.knowledge;
    this.rng = opts.rng;
    this.dim = stateDim(opts.space);
    this.K = opts.space.elements.length;
    // A measured start without process values is read with the defaults.
    this.starts = (opts.measuredStarts ?? []).filter((x) => isLegal(x, opts.space)).map((x) => toState(x, opts.space));
    this.regionStarts = opts.regionStarts;
    this.stats = emptyStats(opts.objectives.length);
  }

  /** A start state: near the best measured alloys (trust region), a measured alloy or a random legal composition of 3..7 elements. */
  sampleStart(): Float64Array {
    if (this.regionStarts && this.rng.next() < this.regionStarts.share) {
      const x = this.regionStarts.sample();
      if (x) return withRandomProcess(x, this.space, this.rng);
    }
    if (this.config.startCurriculum > 0 && this.rng.next() < this.config.startCurriculum) {
      const x = this.curriculumStart();
      if (x) return withRandomProcess(x, this.space, this.rng);
    }
    if (this.starts.length && (this.rng.next() < this.config.measuredStartProb)) return Float64Array.from(this.rng.pick(this.starts));
    const x = randomLegalComposition(this.space, this.rng, {
      minCount: this.config.randomMinElements,
      maxCount: this.config.randomMaxElements,
    });
    if (x) return withRandomProcess(x, this.space, this.rng);
    if (this.starts.length) return Float64Array.from(this.rng.pick(this.starts));
    throw new Error('design space has no legal start composition');
  }

  /** A random composition of an element set that has produced successes (null when none has). */
  private curriculumStart(): Float64Array | null {
    const promising = [...this.elementSets.values()].filter((s) => s.successes > 0);
    if (!promising.length) return null;
    const weights = promising.map((s) => (s.successes + 1) / (s.episodes + 2));
    let r = this.rng.next() * weights.reduce((a, b) => a + b, 0);
    let k = 0;
    while (k < promising.length - 1 && (r -= weights[k]) > 0) k++;
    return randomLegalComposition(this.space, this.rng, { elements: promising[k].elements, tries: 50 });
  }

  /** Books an ended episode under its element set (fixed within the episode, so any of its states names it). */
  private recordEpisode(state: Float64Array, found: boolean): void {
    const key = elementSetKey(compositionPart(state, this.space));
    let s = this.elementSets.get(key);
    if (!s) {
      s = { elements: this.space.elements.filter((_, i) => state[i] > PRESENCE_EPS), episodes: 0, successes: 0 };
      this.elementSets.set(key, s);
    }
    s.episodes++;
    if (found) s.successes++;
  }

  /** Start all N episodes (optionally from given states). */
  reset(starts?: readonly Float64Array[]): Float64Array[] {
    const n = starts?.length ?? this.config.numEnvs;
    this.states = [];
    for (let i = 0; i < n; i++) this.states.push(starts ? Float64Array.from(starts[i]) : this.sampleStart());
    this.episodeStep = new Array(n).fill(0);
    this.episodeAllMet = new Array(n).fill(false);
    this.episodeFound = new Array(n).fill(false);
    const p = this.predict(this.states);
    this.prevPred = this.states.map((_, i) => predictionAt(p, i));
    return this.states;
  }

  private predict(states: readonly Float64Array[]): SurrogatePredictions {
    this.stats.predictions += states.length;
    return this.surrogates.predictFractions(states);
  }

  /** Effective action (fraction change) for state s and actor output u: the centred action, through the safety layer when it is on. */
  effectiveAction(s: Float64Array, u: ArrayLike<number>): Float64Array {
    const a = this.centredAction(s, u);
    return this.config.projectActions ? this.project(s, a) : a;
  }

  /** The safety layer on the composition part of the move; the process part is kept (it is clamped already). */
  private project(s: Float64Array, a: Float64Array): Float64Array {
    const p = projectToLegal(compositionPart(s, this.space), compositionPart(a, this.space), this.space, this.config.actionStep);
    if (this.dim === this.K) return p;
    const out = Float64Array.from(a);
    out.set(p);
    return out;
  }

  /** The paper's action for state s and actor output u, see the header (present elements, zero sum, |a_i| <= step). */
  private centredAction(s: Float64Array, u: ArrayLike<number>): Float64Array {
    const K = this.K;
    const step = this.config.actionStep;
    const a = new Float64Array(this.dim);
    // Process entries: the actor's output times the step, clamped so the value stays in [0, 1].
    for (let j = K; j < this.dim; j++) a[j] = Math.min(1, Math.max(0, s[j] + Math.max(-1, Math.min(1, u[j])) * step)) - s[j];
    let n = 0;
    let mean = 0;
    for (let i = 0; i < K; i++) {
      if (s[i] > PRESENCE_EPS) {
        a[i] = Math.max(-1, Math.min(1, u[i])) * step;
        mean += a[i];
        n++;
      }
    }
    if (n === 0) return a;
    mean /= n;
    let maxAbs = 0;
    for (let i = 0; i < K; i++) {
      if (s[i] > PRESENCE_EPS) {
        a[i] -= mean;
        maxAbs = Math.max(maxAbs, Math.abs(a[i]));
      }
    }
    // Centring can push a component past the step; scaling keeps the zero sum.
    if (maxAbs > step) for (let i = 0; i < K; i++) a[i] *= step / maxAbs;
    return a;
  }

  /** s + a, with floating-point dust on an element about to vanish set to 0 (not a real excursion). */
  private applyAction(s: Float64Array, a: Float64Array): Float64Array {
    const s2 = new Float64Array(s.length);
    for (let k = 0; k < s.length; k++) {
      s2[k] = s[k] + a[k];
      if (Math.abs(s2[k]) < 1e-12) s2[k] = 0;
    }
    return s2;
  }

  /**
   * Step every environment with the actor outputs `u` (one per env, in [-1, 1]^K).
   * Finished episodes are restarted automatically (the returned nextStates are the
   * pre-reset s' that the replay buffer needs; `this.states` holds the new starts).
   */
  async step(u: readonly ArrayLike<number>[]): Promise<StepResult> {
    const N = this.states.length;
    const K = this.dim;
    const states = this.states.map((s) => Float64Array.from(s));
    const actions: Float64Array[] = [];
    const nextStates: Float64Array[] = [];
    const legal: boolean[] = [];
    const legalIdx: number[] = [];
    const project = this.config.projectActions;
    for (let i = 0; i < N; i++) {
      // The safety layer only runs when the move would be illegal: one legality check per step otherwise.
      let a = this.centredAction(states[i], u[i]);
      let s2 = this.applyAction(states[i], a);
      let ok = isLegal(s2, this.space);
      if (!ok && project) {
        a = this.project(states[i], a);
        s2 = this.applyAction(states[i], a);
        ok = isLegal(s2, this.space);
      }
      legal.push(ok);
      if (ok) legalIdx.push(i);
      const an = new Float64Array(K);
      for (let k = 0; k < K; k++) an[k] = a[k] / this.config.actionStep;
      actions.push(an);
      nextStates.push(s2);
    }
    const predictions: (SinglePrediction | null)[] = new Array(N).fill(null);
    if (legalIdx.length) {
      const p = this.predict(legalIdx.map((i) => nextStates[i]));
      legalIdx.forEach((i, j) => (predictions[i] = predictionAt(p, j)));
    }
    const rewards = new Float64Array(N);
    const surrogateRewards = new Float64Array(N);
    const terminals = new Uint8Array(N);
    const truncated = new Uint8Array(N);
    const absorbing = new Float64Array(N);
    const outcomes: RewardOutcome[] = [];
    const classifiedIdx: number[] = [];
    for (let i = 0; i < N; i++) {
      const out = computeReward(legal[i], this.episodeStep[i], this.prevPred[i], predictions[i], this.objectives, this.config.reward);
      if (!out.legal || !out.classified) this.stats.doneFailures++;
      if (out.allDone) {
        // Paper: a first discovery earns a bonus and ends the episode; a rediscovery earns a
        // fading UCB-like bonus and the episode goes on (it is not a success of done_record).
        const key = gridKey(nextStates[i], this.space.step);
        const seen = this.discovered.get(key) ?? 0;
        this.discovered.set(key, seen + 1);
        if (seen === 0) {
          this.stats.doneSuccesses++;
          this.episodeFound[i] = true;
        }
        if (seen === 0 ? !this.config.successEndsEpisode : !this.config.rediscoveryEndsEpisode) out.done = false;
        out.reward += seen === 0 ? this.config.reward.noveltyBonus : this.config.reward.noveltyBonus * 0.1 * Math.sqrt(1 / (seen + 1));
      }
      rewards[i] = out.reward;
      surrogateRewards[i] = out.reward;
      const rejected = (!out.legal && !this.config.illegalEndsEpisode) || (out.legal && !out.classified && !this.config.nonGlassEndsEpisode);
      if (rejected) {
        // The move is not made: s' = s, the episode continues.
        out.done = false;
        nextStates[i] = Float64Array.from(states[i]);
        predictions[i] = this.prevPred[i];
      }
      const learn = learningTarget(out, predictions[i], this.objectives, this.config.reward, this.config);
      if (learn.terminal) terminals[i] = 1;
      else if (out.done) truncated[i] = 1; // a success: the episode ends, learnt as a time limit
      absorbing[i] = learn.bonus;
      outcomes.push(out);
      if (out.classified) classifiedIdx.push(i);
      // stats
      this.stats.steps++;
      if (out.legal) this.stats.legal++;
      if (out.classified) this.stats.classified++;
      out.metTargets.forEach((m, k) => m && this.stats.met[k]++);
      if (out.allTargetsMet) this.episodeAllMet[i] = true;
    }
    if (this.knowledge && this.knowledgeWeight > 0 && classifiedIdx.length) {
      const scores = await this.knowledge(classifiedIdx.map((i) => nextStates[i]));
      classifiedIdx.forEach((i, j) => (rewards[i] += this.knowledgeWeight * scores[j]));
    }
    const learnRewards = this.config.absorbingSuccessGamma > 0 ? Float64Array.from(rewards, (r, i) => r + absorbing[i]) : rewards;
    // Advance, and restart finished episodes.
    const restart: number[] = [];
    for (let i = 0; i < N; i++) {
      this.episodeStep[i]++;
      if (!terminals[i] && this.episodeStep[i] >= this.config.maxSteps) truncated[i] = 1;
      if (terminals[i] || truncated[i]) {
        this.stats.episodes++;
        if (this.episodeAllMet[i]) this.stats.episodesAllMet++;
        if (outcomes[i].allDone) this.stats.episodesDone++;
        if (this.config.startCurriculum > 0) this.recordEpisode(states[i], this.episodeFound[i]);
        restart.push(i);
      } else {
        this.states[i] = Float64Array.from(nextStates[i]);
        this.prevPred[i] = predictions[i];
      }
    }
    if (restart.length) {
      for (const i of restart) {
        this.states[i] = this.sampleStart();
        this.episodeStep[i] = 0;
        this.episodeAllMet[i] = false;
        this.episodeFound[i] = false;
      }
      const p = this.predict(restart.map((i) => this.states[i]));
      restart.forEach((i, j) => (this.prevPred[i] = predictionAt(p, j)));
    }
    return { states, actions, rewards, learnRewards, nextStates, terminals, truncated, outcomes, surrogateRewards, predictions };
  }
}
