/**
 * The shape of GET /api/v1/campaigns/{id}/progress. Plain types (no NestJS) so plots and the
 * demo can use them without the service.
 */
import type { BestSoFarPoint, PaceEstimate, Rate } from '../../core/analytics/analytics.js';
import type { RefinementCheck } from '../../core/amr/amr.js';
import type { SuccessRates } from '../../core/rl/success-rates.js';
import type { TrainingCurvePoint } from '../../core/aimatdesign/training-curve.js';
import type { SuccessObjectives, SuccessProperty } from '../../core/domain/success.js';
import type { ObjectiveDirection } from '../../core/domain/objectives.js';
import type { RefinementRecord } from '../design/strategy.js';

export interface ParetoPoint {
  experimentId: string | null;
  measurementId: string;
  sequence: number | null;
  formula: string;
  yieldStrengthMPa: number;
  elongationPct: number;
}

export interface ObjectiveFrontPoint {
  experimentId: string;
  measurementId: string;
  sequence: number;
  formula: string;
  /** Measured values of the objective properties, in `properties` order. */
  values: number[];
}

export interface ProgressReport {
  generatedAt: string;
  campaign: {
    id: string;
    name: string;
    status: string;
    budget: number;
    batchSize: number;
    approvalRequired: boolean;
    objectives: SuccessObjectives;
    startedAt: string | null;
    finishedAt: string | null;
  };
  experiments: {
    total: number;
    /** Every experiment state, zero when none. */
    byState: Record<string, number>;
    /** Experiments that hold budget (all but rejected and cancelled). */
    counted: number;
    pendingApproval: number;
  };
  measurements: {
    /** Current rows by source (seed, instrument, technician). */
    bySource: Record<string, number>;
    /** Superseded revisions kept for history. */
    superseded: number;
  };
  budget: { budget: number; measured: number; fraction: number };
  success: { overall: Rate; perBatch: Array<Rate & { batchNumber: number }> };
  /** Yield strength and elongation, then every further objective property. */
  bestSoFar: Array<{
    property: SuccessProperty;
    /** The objective's direction on this property, null (or left out) when it is no objective. */
    direction?: ObjectiveDirection | null;
    /** atLeast / atMost (and a bounded maximise / minimise): the bound; else null. */
    threshold: number | null;
    /** within: the range. */
    range?: [number, number];
    /** Best among the campaign's measured experiments (glass formers only when glass is required). */
    best: number | null;
    bestSequence: number | null;
    /** Best in the seed data under the same rule, for comparison. */
    seedBest: number | null;
    history: BestSoFarPoint[];
  }>;
  pareto: {
    /** Reference point of the hypervolume: the campaign's targets (0 where a property has no target). */
    reference: { yieldStrengthMPa: number; elongationPct: number };
    /** Measured alloys of the campaign with both properties (glass formers only when glass is required). */
    points: ParetoPoint[];
    front: ParetoPoint[];
    /** Area (MPa x %) dominated by the front beyond the reference point. */
    hypervolume: number;
    seedFront: ParetoPoint[];
    seedHypervolume: number;
  };
  /**
   * Pareto front over the campaign's objectives (two or more; null with fewer): measured
   * experiments with every objective property (glass formers when glass is required), each
   * objective oriented by its direction; hypervolume beyond `reference` (each target's bound, a
   * range's scale as a gap, the worst measured value for an unbounded maximise / minimise).
   */
  objectiveFront: {
    properties: string[];
    reference: number[];
    points: ObjectiveFrontPoint[];
    front: ObjectiveFrontPoint[];
    hypervolume: number;
  } | null;
  modelQuality: Array<{
    id: string;
    version: number;
    kind: string;
    trigger: string;
    isActive: boolean;
    createdAt: string;
    trainingSeconds: number | null;
    dataCounts: Record<string, number>;
    /** Every numeric CV metric, flattened (e.g. yieldStrength.rmse). */
    metrics: Record<string, number>;
    /** The score-like ones (QUALITY_METRICS: classifier AUC and accuracy, the regressors' R²). */
    quality: Record<string, number>;
  }>;
  training: Array<{
    id: string;
    iteration: number;
    modelVersionId: string | null;
    envSteps: number;
    createdAt: string;
    points: TrainingCurvePoint[];
    /** SR_legal, SR_cls, SR_80 per target, SR_done over the iteration's whole training run (null for old checkpoints). */
    rates: SuccessRates | null;
    /** AMR's checks in this iteration, fired or not (the lab check, then those during training). */
    amrChecks: RefinementCheck[];
  }>;
  /** The AMR refinement events (what a design iteration recorded), without their metrics. */
  refinement: Array<Omit<RefinementRecord, 'metricsBefore' | 'metricsAfter'> & {
    id: string;
    iteration: number;
    modelVersionId: string | null;
    createdAt: string;
  }>;
  instruments: {
    /** Observation window for utilisation and throughput (campaign start, or first dispatch, to now or the end). */
    window: { from: string | null; to: string; hours: number };
    fleet: Array<{
      id: string;
      state: string | null;
      lastSeenAt: string | null;
      maxConcurrentJobs: number;
      jobs: number;
      finished: number;
      open: number;
      byStatus: Record<string, number>;
      busyHours: number;
      /** Busy time / (window x concurrent slots), 0..1. */
      utilisation: number | null;
      /** Finished jobs per hour over the window. */
      throughputPerHour: number | null;
    }>;
    recentJobs: Array<{
      jobId: string;
      experimentId: string;
      sequence: number;
      formula: string;
      instrumentId: string;
      attempt: number;
      status: string;
      dispatchedAt: string;
      finishedAt: string | null;
    }>;
  };
  pace: PaceEstimate;
}
