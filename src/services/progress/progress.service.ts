import { Inject, Injectable } from '@nestjs/common';
import { CampaignEvents } from '../campaigns/campaign-events.js';
import { NotFound } from '../../common/errors.js';
import {
  bestSoFar, estimateTimeToBudget, flattenMetrics, hypervolume2d, paretoFront, qualityMetrics, successRates, trainingPoints, trainingRates, amrChecks,
  objectiveFront, type MeasuredExperiment,
} from '../../core/analytics/analytics.js';
import { type SuccessProperty } from '../../core/domain/success.js';
import { normaliseObjectives, preferredSign } from '../../core/domain/objectives.js';
import type { CampaignEntity } from '../../repositories/entities/campaign.entity.js';
import { CampaignRepository } from '../../repositories/campaign.repository.js';
import { ProgressRepository } from '../../repositories/progress.repository.js';
import { EXPERIMENT_STATUSES } from '../../repositories/entities/experiment.entity.js';
import type { ParetoPoint, ProgressReport } from './progress.types.js';

const PROPERTIES: SuccessProperty[] = ['yieldStrengthMPa', 'elongationPct'];

const frontPoint = (r: { experimentId: string; measurementId: string; sequence: number; formula: string }, values: number[]) => ({
  experimentId: r.experimentId, measurementId: r.measurementId, sequence: r.sequence, formula: r.formula, values,
});
const NOT_COUNTED = ['rejected', 'cancelled'];
const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

interface MeasuredRow {
  experiment_id: string;
  sequence: number;
  batch_number: number;
  formula: string;
  measurement_id: string;
  is_glass: boolean | null;
  yield_strength_mpa: number | null;
  elongation_pct: number | null;
  extra: Record<string, unknown> | null;
  created_at: Date;
}

/**
 * Campaign analytics. Counts, seed baselines, the seed Pareto front (a skyline query) and
 * instrument usage are aggregated in PostgreSQL; the campaign's measured experiments (one row
 * each, bounded by the budget) go through the pure functions of core/analytics/analytics.ts.
 */
const STALE_MS = 2000;

@Injectable()
export class ProgressService {
  private readonly recent = new Map<string, { at: number; report: Promise<ProgressReport> }>();

  /** Last computed report per campaign, and the campaigns that changed since (by their events). */
  private readonly served = new Map<string, { at: number; report: ProgressReport }>();
  private readonly refreshing = new Map<string, Promise<ProgressReport>>();
  private readonly changed = new Set<string>();

  constructor(
    @Inject(ProgressRepository) private readonly rows: ProgressRepository,
    @Inject(CampaignRepository) private readonly campaigns: CampaignRepository,
    @Inject(CampaignEvents) events: CampaignEvents,
  ) {
    events.stream.subscribe((e) => {
      if (e.campaignId) this.changed.add(e.campaignId);
      else for (const id of this.served.keys()) this.changed.add(id); // fleet-wide (instrument) events
    });
  }

  /**
   * The report for the API under load: computed at most once at a time per campaign. While nothing
   * changed it is served from memory (recomputed in the background after STALE_MS so the pace and
   * time to budget move on); after a change the next caller waits for a fresh one.
   */
  async cachedReport(id: string): Promise<ProgressReport> {
    const hit = this.served.get(id);
    if (hit && !this.changed.has(id)) {
      if (Date.now() - hit.at > STALE_MS) void this.refresh(id).catch(() => undefined);
      return hit.report;
    }
    return this.refresh(id);
  }

  private refresh(id: string): Promise<ProgressReport> {
    const running = this.refreshing.get(id);
    if (running) return running;
    this.changed.delete(id);
    const started = Date.now();
    const p = this.report(id)
      .then((report) => {
        this.served.set(id, { at: started, report });
        if (this.served.size > 200) this.served.delete(this.served.keys().next().value!);
        return report;
      })
      .finally(() => this.refreshing.delete(id));
    this.refreshing.set(id, p);
    return p;
  }

  async campaign(id: string): Promise<CampaignEntity> {
    const c = await this.campaigns.findById(id);
    if (!c) throw new NotFound('campaign', id);
    return c;
  }

  /**
   * The report, or one computed less than `maxAgeMs` ago: a dashboard refresh asks for the report
   * and its five charts at once, and the charts need not recompute it.
   */
  recentReport(id: string, maxAgeMs = 2000): Promise<ProgressReport> {
    const hit = this.recent.get(id);
    return hit && Date.now() - hit.at < maxAgeMs ? hit.report : this.report(id);
  }

  report(id: string, now = new Date()): Promise<ProgressReport> {
    const report = this.compute(id, now);
    this.recent.delete(id);
    this.recent.set(id, { at: Date.now(), report });
    if (this.recent.size > 100) this.recent.delete(this.recent.keys().next().value!);
    report.catch(() => {
      if (this.recent.get(id)?.report === report) this.recent.delete(id);
    });
    return report;
  }

  private async compute(id: string, now: Date): Promise<ProgressReport> {
    const c = await this.campaign(id);
    const objectives = normaliseObjectives(c.objectives);
    const targetOf = (p: SuccessProperty) => objectives.targets.find((t) => t.property === p);
    const threshold = (p: SuccessProperty) => {
      const t = targetOf(p);
      return t && t.direction !== 'within' ? (t.threshold ?? null) : null;
    };
    // Yield strength and elongation always, then every further objective property.
    const properties = [...new Set([...PROPERTIES, ...objectives.targets.map((t) => t.property)])];
    const glassOnly = objectives.requireGlass;

    const [states, sources, measured, seedBest, seedSkyline, models, checkpoints, refinement, instruments] = await Promise.all([
      this.rows.experimentStates(id),
      this.rows.measurementSources(id),
      this.rows.measuredExperiments<MeasuredRow>(id),
      // The seed's best of each property (the smallest for a minimised / at-most target).
      this.rows.seedBest(id, properties.map((p) => ({ property: p, smallest: Boolean(targetOf(p) && preferredSign(targetOf(p)!) === -1) })), glassOnly),
      this.rows.seedSkyline(id, glassOnly),
      this.rows.modelVersions(id),
      this.rows.agentCheckpoints(id),
      this.rows.refinementEvents(id),
      this.instruments(id, c, now),
    ]);

    const byState: Record<string, number> = Object.fromEntries(EXPERIMENT_STATUSES.map((s) => [s, 0]));
    let firstProposal: Date | null = null;
    for (const r of states as { status: string; n: number; first_at: Date }[]) {
      byState[r.status] = r.n;
      if (!firstProposal || r.first_at < firstProposal) firstProposal = r.first_at;
    }
    const total = Object.values(byState).reduce((a, b) => a + b, 0);
    const bySource: Record<string, number> = { seed: 0, instrument: 0, technician: 0 };
    let superseded = 0;
    for (const r of sources as { source: string; n: number; superseded: number }[]) {
      bySource[r.source] = r.n;
      superseded += r.superseded;
    }

    const rows: Array<MeasuredExperiment & { experimentId: string; measurementId: string; formula: string; at: Date }> = measured.map((r) => ({
      experimentId: r.experiment_id,
      measurementId: r.measurement_id,
      formula: r.formula,
      sequence: r.sequence,
      batchNumber: r.batch_number,
      isGlass: r.is_glass,
      yieldStrengthMPa: num(r.yield_strength_mpa),
      elongationPct: num(r.elongation_pct),
      extra: r.extra ?? {},
      at: new Date(r.created_at),
    }));
    rows.sort((a, b) => a.sequence - b.sequence);

    const reference = { yieldStrengthMPa: threshold('yieldStrengthMPa') ?? 0, elongationPct: threshold('elongationPct') ?? 0 };
    const ref = { x: reference.yieldStrengthMPa, y: reference.elongationPct };
    const points: Array<ParetoPoint & { x: number; y: number }> = rows
      .filter((r) => (!glassOnly || r.isGlass === true) && r.yieldStrengthMPa !== null && r.elongationPct !== null)
      .map((r) => ({
        experimentId: r.experimentId, measurementId: r.measurementId, sequence: r.sequence, formula: r.formula,
        yieldStrengthMPa: r.yieldStrengthMPa!, elongationPct: r.elongationPct!, x: r.yieldStrengthMPa!, y: r.elongationPct!,
      }));
    const front = paretoFront(points);
    const seedFront = paretoFront(
      (seedSkyline as { id: string; formula: string; yield_strength_mpa: number; elongation_pct: number }[]).map((r) => ({
        experimentId: null, measurementId: r.id, sequence: null, formula: r.formula,
        yieldStrengthMPa: Number(r.yield_strength_mpa), elongationPct: Number(r.elongation_pct),
        x: Number(r.yield_strength_mpa), y: Number(r.elongation_pct),
      })),
    );
    const strip = ({ x: _x, y: _y, ...p }: ParetoPoint & { x: number; y: number }): ParetoPoint => p;

    const seed = seedBest[0] ?? {};
    const best = properties.map((property, i) => {
      const target = targetOf(property);
      const history = bestSoFar(rows, property, glassOnly, target);
      const top = history.filter((h) => h.improved).at(-1);
      return {
        property,
        direction: target?.direction ?? null,
        threshold: threshold(property),
        ...(target?.direction === 'within' ? { range: [target.min!, target.max!] as [number, number] } : {}),
        best: top?.best ?? null,
        bestSequence: top?.sequence ?? null,
        seedBest: num(seed[`p${i}`]),
        history,
      };
    });
    const nd = objectiveFront(rows, objectives);
    const objectivesFront = nd && {
      properties: nd.properties,
      reference: nd.reference,
      points: nd.points.map((p) => frontPoint(p.row, p.values)),
      front: nd.front.map((p) => frontPoint(p.row, p.values)),
      hypervolume: nd.hypervolume,
    };

    const measuredCount = rows.length;
    const lastMeasuredAt = rows.reduce<Date | null>((m, r) => (!m || r.at > m ? r.at : m), null);
    return {
      generatedAt: now.toISOString(),
      campaign: {
        id: c.id, name: c.name, status: c.status, budget: c.budget, batchSize: c.batchSize, approvalRequired: c.approvalRequired,
        objectives,
        startedAt: iso(c.startedAt), finishedAt: iso(c.finishedAt),
      },
      experiments: {
        total,
        byState,
        counted: total - NOT_COUNTED.reduce((a, s) => a + (byState[s] ?? 0), 0),
        pendingApproval: byState.proposed ?? 0,
      },
      measurements: { bySource, superseded },
      budget: { budget: c.budget, measured: measuredCount, fraction: c.budget > 0 ? measuredCount / c.budget : 0 },
      success: successRates(rows, objectives),
      bestSoFar: best,
      pareto: {
        reference,
        points: points.map(strip),
        front: front.map(strip),
        hypervolume: hypervolume2d(front, ref),
        seedFront: seedFront.map(strip),
        seedHypervolume: hypervolume2d(seedFront, ref),
      },
      objectiveFront: objectivesFront,
      modelQuality: models.map((m: Record<string, any>) => ({
        id: m.id, version: m.version, kind: m.kind, trigger: m.trigger, isActive: m.is_active, createdAt: iso(m.created_at)!,
        trainingSeconds: num(m.training_seconds), dataCounts: m.data_counts ?? {},
        metrics: flattenMetrics(m.metrics), quality: qualityMetrics(m.metrics),
      })),
      training: checkpoints.map((k: Record<string, any>) => ({
        id: k.id, iteration: k.iteration, modelVersionId: k.model_version_id, envSteps: k.env_steps, createdAt: iso(k.created_at)!,
        points: trainingPoints(k.training_curve), rates: trainingRates(k.training_curve), amrChecks: amrChecks(k.training_curve),
      })),
      refinement: refinement.map((r: Record<string, any>) => ({
        id: r.id, iteration: r.iteration, reason: r.reason, accepted: r.accepted,
        correlationBefore: num(r.correlation_before), correlationAfter: num(r.correlation_after), variance: num(r.variance),
        featuresBefore: r.features_before ?? [], featuresChosen: r.features_chosen ?? [], rationale: r.rationale, provider: r.provider,
        modelVersionId: r.model_version_id, createdAt: iso(r.created_at)!,
      })),
      instruments,
      pace: estimateTimeToBudget({ budget: c.budget, measured: measuredCount, start: c.startedAt ?? firstProposal, lastMeasuredAt, now }),
    };
  }

  private async instruments(id: string, c: CampaignEntity, now: Date): Promise<ProgressReport['instruments']> {
    const [stats, statuses, fleet, recent] = await Promise.all([
      this.rows.instrumentUse(id, c.finishedAt ?? now),
      this.rows.jobStatesByInstrument(id),
      this.rows.fleet(),
      this.rows.recentJobs(id, 50),
    ]);
    const firstDispatch = (stats as { first_at: Date }[]).reduce<Date | null>((m, r) => (!m || r.first_at < m ? new Date(r.first_at) : m), null);
    const from = c.startedAt ?? firstDispatch;
    const to = c.finishedAt ?? now;
    const hours = from ? Math.max(0, (to.getTime() - from.getTime()) / 3_600_000) : 0;
    const byId = new Map<string, ProgressReport['instruments']['fleet'][number]>();
    for (const i of fleet as { id: string; state: string; capabilities: { maxConcurrentJobs?: number }; last_seen_at: Date }[]) {
      byId.set(i.id, {
        id: i.id, state: i.state, lastSeenAt: iso(i.last_seen_at), maxConcurrentJobs: Math.max(1, Number(i.capabilities?.maxConcurrentJobs) || 1),
        jobs: 0, finished: 0, open: 0, byStatus: {}, busyHours: 0, utilisation: null, throughputPerHour: null,
      });
    }
    for (const s of stats as { instrument_id: string; jobs: number; finished: number; open: number; busy_s: number | string | null }[]) {
      const entry = byId.get(s.instrument_id) ?? {
        id: s.instrument_id, state: null, lastSeenAt: null, maxConcurrentJobs: 1,
        jobs: 0, finished: 0, open: 0, byStatus: {}, busyHours: 0, utilisation: null, throughputPerHour: null,
      };
      entry.jobs = s.jobs;
      entry.finished = s.finished;
      entry.open = s.open;
      entry.busyHours = Math.max(0, Number(s.busy_s ?? 0)) / 3600;
      entry.utilisation = hours > 0 ? Math.min(1, entry.busyHours / (hours * entry.maxConcurrentJobs)) : null;
      entry.throughputPerHour = hours > 0 ? entry.finished / hours : null;
      byId.set(s.instrument_id, entry);
    }
    for (const s of statuses as { instrument_id: string; status: string; n: number }[]) {
      const entry = byId.get(s.instrument_id);
      if (entry) entry.byStatus[s.status] = s.n;
    }
    return {
      window: { from: iso(from), to: to.toISOString(), hours },
      fleet: [...byId.values()],
      recentJobs: recent.map((j: Record<string, any>) => ({
        jobId: j.job_id, experimentId: j.experiment_id, sequence: j.sequence, formula: j.formula, instrumentId: j.instrument_id,
        attempt: j.attempt, status: j.status, dispatchedAt: iso(j.dispatched_at)!, finishedAt: iso(j.finished_at),
      })),
    };
  }
}
