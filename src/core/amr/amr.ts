/**
 * Automatic Model Refinement (AMR, AIMatDesign). During training the critic's Q-values should
 * move with the surrogate reward along the rollouts; when they stop doing so (Pearson correlation
 * below a threshold over a window) or the surrogate ensemble disagrees too much (relative spread
 * above a threshold), the surrogates are suspect where the agent now explores. AMR then asks the
 * knowledge provider for 1-3 extra descriptors, retrains the surrogates with them (injected
 * retrain function) and keeps the new model only if its cross-validated error is not worse.
 * Every trigger becomes a RefinementEvent.
 */
import { makeFeaturizer, type Featurizer } from '../chemistry/descriptors.js';
import type { KnowledgeProvider } from '../knowledge/types.js';
import type { StepResult } from '../rl/environment.js';
import type { Surrogates } from '../domain/predictions.js';

/** What the trainer tells a refinement monitor after each vector step. */
export interface StepObservation {
  progress: number;
  envSteps: number;
  /** Environment steps of the whole run (a monitor scales its schedule to it). */
  totalSteps?: number;
  result: StepResult;
  /** Q1(s, a) for every env of this step (null before learning starts or for the random policy). */
  qValues: Float64Array | null;
}

/** A refinement monitor (AMR): observes rollouts, may return new surrogates to use. */
export interface RefinementHook {
  observe(o: StepObservation): void;
  /** Called after observe; returns replacement surrogates when a refinement was accepted. */
  maybeRefine(o: StepObservation): Promise<Surrogates | null>;
  /** Every check the monitor made, fired or not (AMR's RefinementCheck). */
  readonly checks?: readonly RefinementCheck[];
}
import { pearson } from '../surrogates/metrics.js';

export interface AmrConfig {
  /** (Q, reward) pairs in the sliding window. */
  window: number;
  /** Trigger when corr(Q, surrogate reward) over the window falls below this. */
  minCorrelation: number;
  /** Trigger when the mean relative spread (std / |mean|) of the property predictions exceeds this. */
  maxRelativeStd: number;
  /** No checks before this share of training (the critic must have learnt something first). */
  warmupProgress: number;
  /** Environment steps between checks, and at least between two refinements. */
  checkEvery: number;
  cooldown: number;
  maxRefinements: number;
  /** Descriptors to add per refinement (1..3). */
  maxFeatures: number;
  /** Recent rollout states kept for the feature choice. */
  sampleSize: number;
}

export const DEFAULT_AMR_CONFIG: AmrConfig = {
  window: 2048,
  minCorrelation: 0.2,
  maxRelativeStd: 0.3,
  warmupProgress: 0.2,
  checkEvery: 4096,
  cooldown: 16_384,
  maxRefinements: 2,
  maxFeatures: 3,
  sampleSize: 512,
};

export interface RetrainResult {
  surrogates: Surrogates;
  featureNames: string[];
  /** Cross-validated error to compare (lower is better), e.g. mean normalised RMSE. */
  cvError: number;
  metrics: Record<string, number>;
}

export interface RefinementEvent {
  envSteps: number;
  progress: number;
  /** low-correlation / high-variance: the rollout check; lab-disagreement: the lab's last results fell outside their predicted intervals. */
  reason: 'low-correlation' | 'high-variance' | 'lab-disagreement';
  correlationBefore: number;
  /** Filled once the window has refilled after the refinement (null until then / if training ended). */
  correlationAfter: number | null;
  relativeStdBefore: number;
  featuresBefore: string[];
  featuresChosen: string[];
  rationale: string;
  selectionSource: string;
  metricsBefore: Record<string, number>;
  metricsAfter: Record<string, number> | null;
  cvErrorBefore: number;
  cvErrorAfter: number | null;
  accepted: boolean;
  error?: string;
}

/**
 * One AMR check with its figures, whether it fired or not. 'rollouts': the correlation/variance
 * check during training; 'lab': the latest measurements against their predictions (see
 * labDisagreement), checked once per design iteration.
 */
export type RefinementCheck =
  | {
      kind: 'rollouts';
      envSteps: number;
      progress: number;
      /** (Q, reward) pairs in the window, and the window the check needs. */
      pairs: number;
      window: number;
      correlation: number | null;
      relativeStd: number;
      /** The trigger that fired, or null. */
      fired: RefinementEvent['reason'] | null;
      /** Why no trigger could fire (cool-down, window not full, refinements used up), or null. */
      skipped: string | null;
    }
  | {
      kind: 'lab';
      /** Measured experiments compared with the predictions they were proposed with. */
      results: number;
      /** Of those, results outside the 95 % interval of yield strength or elongation. */
      outside: number;
      outsideShare: number | null;
      /** Mean |z| over both properties. */
      meanAbsZ: number | null;
      threshold: number;
      fired: 'lab-disagreement' | null;
    };

/** The check schedule for a run of `totalSteps`: at least two checks after the warm-up, however short the run. */
export function scaledSchedule(config: AmrConfig, totalSteps: number | undefined): { checkEvery: number; window: number; cooldown: number } {
  if (!totalSteps) return { checkEvery: config.checkEvery, window: config.window, cooldown: config.cooldown };
  const span = Math.max(1, Math.floor(totalSteps * (1 - config.warmupProgress)));
  const checkEvery = Math.min(config.checkEvery, Math.max(1, Math.floor(span / 2)));
  const shrink = checkEvery / config.checkEvery;
  return { checkEvery, window: Math.min(config.window, Math.max(32, Math.floor(span / 8))), cooldown: Math.max(checkEvery, Math.round(config.cooldown * shrink)) };
}

export class AutomaticModelRefinement implements RefinementHook {
  readonly config: AmrConfig;
  readonly events: RefinementEvent[] = [];
  /** Every check made, fired or not. */
  readonly checks: RefinementCheck[] = [];
  private q: number[] = [];
  private r: number[] = [];
  private relStd: number[] = [];
  private samples: { x: Float64Array; reward: number }[] = [];
  private lastCheck = 0;
  private lastRefinement = -Infinity;
  private labTriggerUsed = false;
  private current: { featureNames: string[]; cvError: number; metrics: Record<string, number> };
  private readonly describe: Featurizer;

  constructor(
    private readonly opts: {
      provider: KnowledgeProvider;
      elements: readonly string[];
      /** Descriptors the provider may choose from. */
      candidates: readonly string[];
      current: { featureNames: string[]; cvError: number; metrics: Record<string, number> };
      retrain: (featureNames: string[]) => Promise<RetrainResult>;
      config?: Partial<AmrConfig>;
      /** The lab check fired before this run (the latest results disagree with their predictions): refine at the first check after the warm-up. */
      labDisagreement?: boolean;
      log?: (line: string) => void;
    },
  ) {
    this.config = { ...DEFAULT_AMR_CONFIG, ...opts.config };
    this.current = { ...opts.current, featureNames: [...opts.current.featureNames] };
    this.describe = makeFeaturizer(opts.candidates, opts.elements);
  }

  get featureNames(): string[] {
    return [...this.current.featureNames];
  }

  /** Pearson correlation of the window (NaN when too few pairs). */
  correlation(): number {
    return this.q.length >= 32 ? pearson(this.q, this.r) : Number.NaN;
  }

  relativeStd(): number {
    return this.relStd.length ? this.relStd.reduce((a, b) => a + b, 0) / this.relStd.length : 0;
  }

  observe(o: StepObservation): void {
    const { result, qValues } = o;
    const W = this.config.window;
    result.outcomes.forEach((out, i) => {
      const p = result.predictions[i];
      if (!out.legal || !p) return;
      if (qValues) {
        this.q.push(qValues[i]);
        this.r.push(result.surrogateRewards[i]);
      }
      this.relStd.push(0.5 * (p.yieldStd / Math.max(Math.abs(p.yieldMean), 1e-9) + p.elongationStd / Math.max(Math.abs(p.elongationMean), 1)));
      if (this.samples.length < this.config.sampleSize) this.samples.push({ x: result.nextStates[i], reward: result.surrogateRewards[i] });
      else this.samples[(o.envSteps + i) % this.config.sampleSize] = { x: result.nextStates[i], reward: result.surrogateRewards[i] };
    });
    if (this.q.length > W) {
      this.q.splice(0, this.q.length - W);
      this.r.splice(0, this.r.length - W);
    }
    if (this.relStd.length > W) this.relStd.splice(0, this.relStd.length - W);
    // Once the window has refilled after a refinement, record the correlation after it.
    const last = this.events[this.events.length - 1];
    if (last && last.correlationAfter === null && this.q.length >= W) last.correlationAfter = this.correlation();
  }

  /** The trigger reason now, or null (with the schedule scaled to the run when `totalSteps` is known). */
  check(o: { progress: number; envSteps: number; totalSteps?: number }): { reason: RefinementEvent['reason']; correlation: number; relativeStd: number } | null {
    const result = this.evaluate(o);
    return result.fired ? { reason: result.fired, correlation: result.correlation ?? Number.NaN, relativeStd: result.relativeStd } : null;
  }

  private evaluate(o: { progress: number; envSteps: number; totalSteps?: number }): Extract<RefinementCheck, { kind: 'rollouts' }> {
    const c = this.config;
    const { window, cooldown } = scaledSchedule(c, o.totalSteps);
    const pairs = Math.min(this.q.length, window);
    const correlation = pairs >= 32 ? pearson(this.q.slice(-pairs), this.r.slice(-pairs)) : Number.NaN;
    const relativeStd = this.relativeStd();
    const skipped =
      o.progress < c.warmupProgress ? 'warm-up'
        : this.events.length >= c.maxRefinements ? `${c.maxRefinements} refinement(s) used`
          : o.envSteps - this.lastRefinement < cooldown ? 'cool-down after a refinement'
            : this.q.length < window ? `window not full (${this.q.length} of ${window} pairs)`
              : null;
    let fired: RefinementEvent['reason'] | null = null;
    if (!skipped && Number.isFinite(correlation) && correlation < c.minCorrelation) fired = 'low-correlation';
    else if (!skipped && relativeStd > c.maxRelativeStd) fired = 'high-variance';
    return {
      kind: 'rollouts', envSteps: o.envSteps, progress: o.progress, pairs, window,
      correlation: Number.isFinite(correlation) ? correlation : null, relativeStd, fired, skipped,
    };
  }

  async maybeRefine(o: StepObservation): Promise<Surrogates | null> {
    const { checkEvery } = scaledSchedule(this.config, o.totalSteps);
    if (o.envSteps - this.lastCheck < checkEvery) return null;
    this.lastCheck = o.envSteps;
    if (o.progress < this.config.warmupProgress) return null; // not a check yet: the critic has not learnt
    const result = this.evaluate(o);
    this.checks.push(result);
    if (this.opts.labDisagreement && !this.labTriggerUsed && this.samples.length > 0) {
      this.labTriggerUsed = true;
      return this.refine(o, { reason: 'lab-disagreement', correlation: result.correlation ?? Number.NaN, relativeStd: result.relativeStd });
    }
    if (!result.fired) return null;
    return this.refine(o, { reason: result.fired, correlation: result.correlation ?? Number.NaN, relativeStd: result.relativeStd });
  }

  /** Choose descriptors, retrain, accept or reject; records the event. */
  async refine(
    o: { progress: number; envSteps: number },
    trigger: { reason: RefinementEvent['reason']; correlation: number; relativeStd: number },
  ): Promise<Surrogates | null> {
    this.lastRefinement = o.envSteps;
    const event: RefinementEvent = {
      envSteps: o.envSteps,
      progress: o.progress,
      reason: trigger.reason,
      correlationBefore: trigger.correlation,
      correlationAfter: null,
      relativeStdBefore: trigger.relativeStd,
      featuresBefore: [...this.current.featureNames],
      featuresChosen: [],
      rationale: '',
      selectionSource: '',
      metricsBefore: this.current.metrics,
      metricsAfter: null,
      cvErrorBefore: this.current.cvError,
      cvErrorAfter: null,
      accepted: false,
    };
    this.events.push(event);
    try {
      const rows = this.samples.map((s) => Array.from(this.describe(s.x)));
      const selection = await this.opts.provider.selectFeatures({
        candidates: this.opts.candidates,
        current: this.current.featureNames,
        maxFeatures: this.config.maxFeatures,
        rows,
        target: this.samples.map((s) => s.reward),
        reason: `${trigger.reason}: corr(Q, reward) = ${trigger.correlation.toFixed(3)}, relative std = ${trigger.relativeStd.toFixed(3)}`,
      });
      const chosen = selection.features.filter((f) => this.opts.candidates.includes(f) && !this.current.featureNames.includes(f)).slice(0, 3);
      event.featuresChosen = chosen;
      event.rationale = selection.rationale;
      event.selectionSource = selection.source;
      if (chosen.length === 0) return null;
      const retrained = await this.opts.retrain([...this.current.featureNames, ...chosen]);
      event.metricsAfter = retrained.metrics;
      event.cvErrorAfter = retrained.cvError;
      // Keep the new model only if its cross-validated error does not get worse.
      if (retrained.cvError <= this.current.cvError) {
        event.accepted = true;
        this.current = { featureNames: retrained.featureNames, cvError: retrained.cvError, metrics: retrained.metrics };
        // A fresh window measures the correlation with the new surrogates.
        this.q = [];
        this.r = [];
        this.relStd = [];
        this.opts.log?.(`AMR: accepted ${chosen.join(', ')} (cv ${event.cvErrorBefore.toFixed(4)} -> ${retrained.cvError.toFixed(4)})`);
        return retrained.surrogates;
      }
      this.opts.log?.(`AMR: rejected ${chosen.join(', ')} (cv ${event.cvErrorBefore.toFixed(4)} -> ${retrained.cvError.toFixed(4)})`);
      return null;
    } catch (err) {
      event.error = (err as Error).message;
      this.opts.log?.(`AMR: refinement failed: ${event.error}`);
      return null;
    }
  }
}
