import type { Composition } from '../../core/chemistry/types.js';
import type { DesignSpace } from '../../core/domain/design-space.js';
import type { MeasuredAlloy } from '../../core/domain/measured-alloy.js';
import type { StrategySettings } from '../../core/domain/strategy.js';
import type { RefinementCheck } from '../../core/amr/amr.js';
import type { Objectives } from '../../repositories/entities/campaign.entity.js';
import type { Prediction } from '../../repositories/entities/experiment.entity.js';
import type { ProcessValues } from '../../core/domain/process.js';

/** What one design iteration gets to see: the campaign, its data, what is still pending. */
export interface DesignContext {
  campaignId: string;
  space: DesignSpace;
  objectives: Objectives;
  strategy: StrategySettings;
  /** Every current measurement of the campaign (seed and measured experiments). */
  measured: MeasuredAlloy[];
  /** Compositions proposed but not measured yet (do not propose them again). */
  pending: Composition[];
  /** The process values of each pending experiment (aligned with `pending`; null: none). */
  pendingProcess?: (ProcessValues | null)[];
  /**
   * The compositions this campaign's experiments were proposed with, whatever became of them:
   * never proposed again (a measured sample reports its as-made composition, so the nominal one
   * is not among the measured ones).
   */
  proposed?: Composition[];
  /** Proposals wanted now. */
  count: number;
  /** Campaign seed mixed with the iteration number: same seed, same proposals. */
  seed: number;
  iteration: number;
  /**
   * AMR's lab check for this iteration (the latest results against their predictions), null for
   * strategies without AMR; when it fired, the strategy should refine its surrogates' features.
   */
  labCheck?: Extract<RefinementCheck, { kind: 'lab' }> | null;
  /** The previous iteration's persisted state (surrogate features, agent checkpoint, trust region). */
  previous: { featureNames: string[] | null; agentCheckpoint: unknown | null; trustRegion?: unknown | null };
  progress(fraction: number, message: string): Promise<void>;
  log(line: string): void;
}

export interface ModelVersionRecord {
  kind: string;
  features: string[];
  hyperparameters: Record<string, unknown>;
  metrics: Record<string, unknown>;
  dataCounts: Record<string, number>;
  trainingSeconds: number;
  artifact: unknown;
  trigger: string;
}

/** One Automatic Model Refinement trigger, accepted or not, as a design iteration records it (the progress report shows it too). */
export interface RefinementRecord {
  reason: string;
  correlationBefore: number | null;
  correlationAfter: number | null;
  variance: number | null;
  featuresBefore: string[];
  featuresChosen: string[];
  rationale: string;
  provider: string;
  metricsBefore: Record<string, unknown>;
  metricsAfter: Record<string, unknown> | null;
  accepted: boolean;
}

export interface DesignOutcome {
  /** process: the values of the campaign's process variables (left out: their defaults). */
  proposals: { composition: Composition; process?: ProcessValues | null; prediction: Prediction | null }[];
  modelVersions: ModelVersionRecord[];
  agent: { config: Record<string, unknown>; trainingCurve: unknown; weights: unknown; envSteps: number } | null;
  refinements: RefinementRecord[];
  summary: Record<string, unknown>;
}

/** The prediction stored with a proposal, from a model's predictive summary of it. */
export function predictionOf(p: {
  pGlass: number;
  yieldStrengthMPa: { mean: number; std: number };
  elongationPct: { mean: number; std: number };
  successProbability: number;
  properties?: Record<string, { mean: number; std: number }>;
}): Prediction {
  return {
    ...(p.properties && Object.keys(p.properties).length ? { properties: p.properties } : {}),
    pGlass: p.pGlass,
    yieldStrengthMPa: p.yieldStrengthMPa.mean,
    yieldStrengthStd: p.yieldStrengthMPa.std,
    elongationPct: p.elongationPct.mean,
    elongationStd: p.elongationPct.std,
    successProbability: p.successProbability,
  };
}

/** A way of proposing the next batch (AIMatDesign, or a baseline). */
export interface DesignStrategy {
  readonly name: string;
  propose(ctx: DesignContext): Promise<DesignOutcome>;
}
