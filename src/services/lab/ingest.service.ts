import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResultMessage } from '../../../adapters/mqtt/protocol.js';
import type { AppConfig } from '../../config/config.js';
import { formatFormula } from '../../core/chemistry/composition.js';
import type { Composition } from '../../core/chemistry/types.js';
import { CANCELLED_RESULT_FLAG, canTransition, isInFlight, type ExperimentState } from '../../core/domain/experiment-lifecycle.js';
import { measuredProperties } from '../../core/domain/objectives.js';
import { PROCESS_DEVIATION_FLAG, processDeviates, type ProcessValues } from '../../core/domain/process.js';
import { CampaignEvents } from '../campaigns/campaign-events.js';
import type { ExperimentEntity, InstrumentJobEntity } from '../../repositories/entities/experiment.entity.js';
import { ExperimentsService } from '../campaigns/experiments.service.js';
import { APP_CONFIG } from '../tokens.js';
import type { MeasurementEntity, Phase } from '../../repositories/entities/measurement.entity.js';
import { AuditRepository } from '../../repositories/audit.repository.js';
import { Database, type Tx } from '../../repositories/database.js';
import { ExperimentRepository } from '../../repositories/experiment.repository.js';
import { MeasurementRepository, type NewMeasurement } from '../../repositories/measurement.repository.js';

/** Job states a result does not change (a cancelled job stays cancelled). */
const FINAL_JOB_STATES = ['completed', 'cancelled'];

/** A measured result, whichever way it came (instrument over MQTT or technician over REST). */
export interface IncomingResult {
  source: 'instrument' | 'technician';
  experiment: ExperimentEntity;
  jobId: string | null;
  instrumentId: string | null;
  externalId: string | null;
  idempotencyKey: string | null;
  composition: Composition;
  /** The process used, as reported (protocol 1.2); null when not reported. */
  process?: ProcessValues | null;
  phase: Phase;
  yieldStrengthMPa: number | null;
  elongationPct: number | null;
  /** Further properties (Dmax, Tg, ..., free names; protocol 1.1), stored in the measurement's extra; null values are not measured. */
  properties?: Readonly<Record<string, number | null>> | null;
  measuredAt: Date;
  raw: unknown;
  enteredBy: string;
  notes?: string | null;
}

export type IngestOutcome =
  | { stored: true; measurement: MeasurementEntity; experimentClosed: boolean; flags: string[] }
  | { stored: false; duplicateOf: string };

/**
 * One path for every result: store it once (idempotent by instrument measurement id or by the
 * client's idempotency key), flag compositions that deviate from the dispatched one beyond the
 * tolerance, close the experiment, announce it. Duplicates are a no-op that says so.
 */
@Injectable()
export class IngestService {
  private readonly log = new Logger('Ingest');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ExperimentRepository) private readonly experimentRows: ExperimentRepository,
    @Inject(MeasurementRepository) private readonly measurements: MeasurementRepository,
    @Inject(AuditRepository) private readonly auditRows: AuditRepository,
    @Inject(ExperimentsService) private readonly experiments: ExperimentsService,
    @Inject(CampaignEvents) private readonly events: CampaignEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async ingest(r: IncomingResult, manager?: Tx): Promise<IngestOutcome> {
    const run = async (m: Tx): Promise<IngestOutcome> => {
      const experiment = await this.experiments.lock(m, r.experiment.id);
      const deviation = maxDeviation(r.composition, experiment.composition);
      const flags: string[] = [];
      if (deviation > this.config.lab.compositionTolerancePct) flags.push('composition_deviation');
      if (processDeviates(r.process, experiment.process)) flags.push(PROCESS_DEVIATION_FLAG);
      const isLate = isLateResult(experiment.status);
      if (isLate) flags.push('late_result');
      if (experiment.status === 'cancelled') flags.push(CANCELLED_RESULT_FLAG);
      if (experiment.status === 'measured') flags.push('replicate');
      if (r.jobId && experiment.currentJobId && r.jobId !== experiment.currentJobId) flags.push('superseded_job');
      const values: NewMeasurement = {
        campaignId: experiment.campaignId,
        experimentId: experiment.id,
        source: r.source,
        instrumentId: r.instrumentId,
        jobId: r.jobId,
        externalId: r.externalId,
        idempotencyKey: r.idempotencyKey,
        composition: r.composition,
        process: r.process ?? null,
        formula: formatFormula(r.composition),
        elements: Object.keys(r.composition).sort(),
        phase: r.phase,
        isGlass: r.phase === 'amorphous',
        yieldStrengthMPa: r.yieldStrengthMPa,
        elongationPct: r.elongationPct,
        extra: { ...measuredProperties(r.properties), ...(r.notes ? { notes: r.notes } : {}) },
        raw: r.raw as object,
        compositionDeviation: deviation,
        flags,
        measuredAt: r.measuredAt,
        enteredBy: r.enteredBy,
      };
      const inserted = await this.measurements.insertNew(m, values);
      if (inserted.length === 0) {
        const existing = await this.measurements.findOne(
          r.externalId ? { instrumentId: r.instrumentId!, externalId: r.externalId, revision: 1 } : { campaignId: experiment.campaignId, idempotencyKey: r.idempotencyKey! },
          m,
        );
        return { stored: false, duplicateOf: existing!.id };
      }
      // Technicians get the stored row back; the instrument path (thousands a second) needs the id only.
      const id = inserted[0].id;
      const measurement = r.source === 'technician' ? (await this.measurements.findOne({ id }, m))! : ({ id } as MeasurementEntity);
      if (r.jobId) await this.experimentRows.finishJobs(m, [r.jobId], 'completed', FINAL_JOB_STATES);
      let experimentClosed = false;
      if (experiment.status !== 'measured' && canTransition(experiment.status, 'measured')) {
        await this.experiments.transition(m, experiment, 'measured', {
          cause: `${r.source === 'instrument' ? `result ${r.externalId} from ${r.instrumentId}` : `entered by ${r.enteredBy}`}${isLate ? ' (late)' : ''}`,
          actor: r.source === 'instrument' ? (r.instrumentId ?? 'instrument') : r.enteredBy,
          set: { currentJobId: null, deadline: null },
        });
        experimentClosed = true;
      }
      this.events.emit({
        type: 'measurements.added', campaignId: experiment.campaignId, count: 1, source: r.source, experimentId: experiment.id,
        measurementId: measurement.id, at: new Date().toISOString(),
      });
      return { stored: true, measurement, experimentClosed, flags };
    };
    return manager ? run(manager) : this.db.transaction(run);
  }

  /**
   * The instrument hot path: many results in one transaction (multi-row insert, idempotent by
   * (instrument, measurementId); jobs completed, experiments closed and audited in bulk).
   * Returns, per item, whether it was stored or a duplicate. Events are announced after commit.
   */
  async ingestInstrumentBatch(items: { instrumentId: string; job: InstrumentJobEntity; msg: ResultMessage }[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    const announce: (() => void)[] = [];
    const stored = await this.db.transaction(async (m) => {
      const experimentIds = [...new Set(items.map((i) => i.job.experimentId))].sort();
      const rows = await this.experimentRows.lockForResults(m, experimentIds);
      const experiments = new Map(rows.map((r) => [r.id, r]));
      const seen = new Set<string>();
      const values: NewMeasurement[] = [];
      const keys: string[] = [];
      for (const { instrumentId, job, msg } of items) {
        const key = `${instrumentId}\u0000${msg.measurementId}`;
        keys.push(key);
        if (seen.has(key)) continue; // the same result twice in one batch
        seen.add(key);
        const e = experiments.get(job.experimentId)!;
        const deviation = maxDeviation(msg.composition, e.composition);
        const flags: string[] = [];
        if (deviation > this.config.lab.compositionTolerancePct) flags.push('composition_deviation');
        if (processDeviates(msg.process, e.process)) flags.push(PROCESS_DEVIATION_FLAG);
        if (isLateResult(e.status)) flags.push('late_result');
        if (e.status === 'cancelled') flags.push(CANCELLED_RESULT_FLAG);
        if (e.status === 'measured') flags.push('replicate');
        if (e.current_job_id && e.current_job_id !== job.jobId) flags.push('superseded_job');
        values.push({
          campaignId: e.campaign_id, experimentId: e.id, source: 'instrument', instrumentId, jobId: job.jobId, externalId: msg.measurementId,
          composition: msg.composition, process: msg.process ?? null, formula: formatFormula(msg.composition), elements: Object.keys(msg.composition).sort(),
          phase: msg.phase, isGlass: msg.phase === 'amorphous', yieldStrengthMPa: msg.yieldStrengthMPa, elongationPct: msg.elongationPct,
          extra: measuredProperties(msg.properties), raw: (msg.raw ?? null) as object, compositionDeviation: deviation, flags, measuredAt: new Date(msg.measuredAt), enteredBy: instrumentId,
        });
      }
      const new_ = await this.measurements.insertNew<{ id: string; instrument_id: string; external_id: string; experiment_id: string; job_id: string }>(
        m, values, 'id, instrument_id, external_id, experiment_id, job_id',
      );
      const storedKeys = new Set(new_.map((r) => `${r.instrument_id}\u0000${r.external_id}`));
      if (new_.length > 0) {
        await this.experimentRows.finishJobs(m, [...new Set(new_.map((r) => r.job_id))], 'completed', FINAL_JOB_STATES);
        // Close each experiment once, with the first new result for it.
        const close = new Map<string, { reason: string; actor: string; from: string }>();
        for (const r of new_) {
          const e = experiments.get(r.experiment_id)!;
          if (close.has(e.id) || e.status === 'measured' || !canTransition(e.status, 'measured')) continue;
          const late = isLateResult(e.status);
          close.set(e.id, { reason: `result ${r.external_id} from ${r.instrument_id}${late ? ' (late)' : ''}`, actor: r.instrument_id, from: e.status });
        }
        if (close.size > 0) {
          const ids = [...close.keys()];
          await this.experimentRows.markMeasured(m, ids, ids.map((id) => close.get(id)!.reason));
          await this.auditRows.insertMeasured(
            m,
            ids.map((id) => ({ id, campaignId: experiments.get(id)!.campaign_id, from: close.get(id)!.from, cause: close.get(id)!.reason, actor: close.get(id)!.actor })),
          );
          const at = new Date().toISOString();
          for (const id of ids) {
            const e = experiments.get(id)!;
            const c = close.get(id)!;
            announce.push(() =>
              this.events.emit({ type: 'experiment.state', campaignId: e.campaign_id, experimentId: id, sequence: e.sequence, from: c.from, to: 'measured', cause: c.reason, at }),
            );
          }
        }
        const at = new Date().toISOString();
        for (const r of new_) {
          const campaignId = experiments.get(r.experiment_id)!.campaign_id;
          announce.push(() =>
            this.events.emit({ type: 'measurements.added', campaignId, count: 1, source: 'instrument', experimentId: r.experiment_id, measurementId: r.id, at }),
          );
        }
      }
      // An item counts as stored once: the first of its key in this batch, if the insert took it.
      const counted = new Set<string>();
      return keys.map((k) => {
        if (!storedKeys.has(k) || counted.has(k)) return false;
        counted.add(k);
        return true;
      });
    });
    for (const a of announce) a();
    return stored;
  }

  /** Result message from an instrument for a job it holds. */
  fromInstrument(instrumentId: string, job: InstrumentJobEntity, experiment: ExperimentEntity, msg: ResultMessage): IncomingResult {
    return {
      source: 'instrument',
      experiment,
      jobId: job.jobId,
      instrumentId,
      externalId: msg.measurementId,
      idempotencyKey: null,
      composition: msg.composition,
      process: msg.process ?? null,
      phase: msg.phase,
      yieldStrengthMPa: msg.yieldStrengthMPa,
      elongationPct: msg.elongationPct,
      properties: msg.properties ?? null,
      measuredAt: new Date(msg.measuredAt),
      raw: msg.raw ?? null,
      enteredBy: instrumentId,
    };
  }
}

/** A result for an experiment no longer waiting for one (it timed out, failed or was given up; a replicate of a measured one is not late). */
function isLateResult(status: ExperimentState): boolean {
  return status !== 'measured' && status !== 'queued' && !isInFlight(status);
}

/** Largest |a - b| in at.% over the union of elements. */
export function maxDeviation(a: Composition, b: Composition): number {
  let max = 0;
  for (const el of new Set([...Object.keys(a), ...Object.keys(b)])) max = Math.max(max, Math.abs((a[el] ?? 0) - (b[el] ?? 0)));
  return Math.round(max * 1e6) / 1e6;
}
