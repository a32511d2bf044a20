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
import type { RefinementHook, StepObservation } from '../rl/trainer.js';
import type { Surrogates } from '../rl/types.js';
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
  reason: 'low-correlation' | 'high-variance';
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

export class AutomaticModelRefinement implements RefinementHook {
  readonly config: AmrConfig;
  readonly events: RefinementEvent[] = [];
  private q: number[] = [];
  private r: number[] = [];
  private relStd: number[] = [];
  private samples: { x: Float64Array; reward: number }[] = [];
  private lastCheck = 0;
  private lastRefinement = -Infinity;
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

  /** The trigger reason now, or null. */
  check(o: { progress: number; envSteps: number }): { reason: RefinementEvent['reason']; correlation: number; relativeStd: number } | null {
    const c = this.config;
    if (o.progress < c.warmupProgress || this.events.length >= c.maxRefinements) return null;
    if (o.envSteps - this.lastRefinement < c.cooldown || this.q.length < c.window) return null;
    const correlation = this.correlation();
    const relativeStd = this.relativeStd();
    if (Number.isFinite(correlation) && correlation < c.minCorrelation) return { reason: 'low-correlation', correlation, relativeStd };
    if (relativeStd > c.maxRelativeStd) return { reason: 'high-variance', correlation, relativeStd };
    return null;
  }

  async maybeRefine(o: StepObservation): Promise<Surrogates | null> {
    if (o.envSteps - this.lastCheck < this.config.checkEvery) return null;
    this.lastCheck = o.envSteps;
    const trigger = this.check(o);
    if (!trigger) return null;
    return this.refine(o, trigger);
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
