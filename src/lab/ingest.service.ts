import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import type { ResultMessage } from '../../adapters/mqtt/protocol.js';
import type { AppConfig } from '../config/config.js';
import { formatFormula } from '../core/chemistry/composition.js';
import type { Composition } from '../core/chemistry/types.js';
import { canTransition } from '../core/campaign/experiment-lifecycle.js';
import { CampaignEvents } from '../campaigns/campaign-events.js';
import { ExperimentEntity, InstrumentJobEntity } from '../experiments/experiment.entity.js';
import { ExperimentsService } from '../experiments/experiments.service.js';
import { APP_CONFIG } from '../infrastructure/tokens.js';
import { MeasurementEntity, type Phase } from '../measurements/measurement.entity.js';

/** A measured result, whichever way it came (instrument over MQTT or technician over REST). */
export interface IncomingResult {
  source: 'instrument' | 'technician';
  experiment: ExperimentEntity;
  jobId: string | null;
  instrumentId: string | null;
  externalId: string | null;
  idempotencyKey: string | null;
  composition: Composition;
  phase: Phase;
  yieldStrengthMPa: number | null;
  elongationPct: number | null;
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
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(ExperimentsService) private readonly experiments: ExperimentsService,
    @Inject(CampaignEvents) private readonly events: CampaignEvents,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async ingest(r: IncomingResult, manager?: EntityManager): Promise<IngestOutcome> {
    const run = async (m: EntityManager): Promise<IngestOutcome> => {
      const experiment = await this.experiments.lock(m, r.experiment.id);
      const deviation = maxDeviation(r.composition, experiment.composition);
      const flags: string[] = [];
      if (deviation > this.config.lab.compositionTolerancePct) flags.push('composition_deviation');
      const isLate = experiment.status !== 'measured' && !['dispatched', 'accepted', 'running', 'queued'].includes(experiment.status);
      if (isLate) flags.push('late_result');
      if (experiment.status === 'measured') flags.push('replicate');
      if (r.jobId && experiment.currentJobId && r.jobId !== experiment.currentJobId) flags.push('superseded_job');
      const values: QueryDeepPartialEntity<MeasurementEntity> = {
        campaignId: experiment.campaignId,
        experimentId: experiment.id,
        source: r.source,
        instrumentId: r.instrumentId,
        jobId: r.jobId,
        externalId: r.externalId,
        idempotencyKey: r.idempotencyKey,
        composition: r.composition,
        formula: formatFormula(r.composition),
        elements: Object.keys(r.composition).sort(),
        phase: r.phase,
        isGlass: r.phase === 'amorphous',
        yieldStrengthMPa: r.yieldStrengthMPa,
        elongationPct: r.elongationPct,
        extra: r.notes ? { notes: r.notes } : {},
        raw: r.raw as object,
        compositionDeviation: deviation,
        flags,
        measuredAt: r.measuredAt,
        enteredBy: r.enteredBy,
      };
      const inserted = await m.createQueryBuilder().insert().into(MeasurementEntity).values(values).orIgnore().returning(['id']).execute();
      if (inserted.raw.length === 0) {
        const existing = await m.findOneByOrFail(
          MeasurementEntity,
          r.externalId ? { instrumentId: r.instrumentId!, externalId: r.externalId, revision: 1 } : { campaignId: experiment.campaignId, idempotencyKey: r.idempotencyKey! },
        );
        return { stored: false, duplicateOf: existing.id };
      }
      // Technicians get the stored row back; the instrument path (thousands a second) needs the id only.
      const id: string = inserted.raw[0].id;
      const measurement = r.source === 'technician' ? await m.findOneByOrFail(MeasurementEntity, { id }) : ({ id } as MeasurementEntity);
      if (r.jobId) {
        await m.query(`UPDATE instrument_job SET status = 'completed', finished_at = coalesce(finished_at, now()) WHERE job_id = $1 AND status NOT IN ('completed')`, [r.jobId]);
      }
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
    return manager ? run(manager) : this.dataSource.transaction(run);
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
      phase: msg.phase,
      yieldStrengthMPa: msg.yieldStrengthMPa,
      elongationPct: msg.elongationPct,
      measuredAt: new Date(msg.measuredAt),
      raw: msg.raw ?? null,
      enteredBy: instrumentId,
    };
  }
}

/** Largest |a - b| in at.% over the union of elements. */
export function maxDeviation(a: Composition, b: Composition): number {
  let max = 0;
  for (const el of new Set([...Object.keys(a), ...Object.keys(b)])) max = Math.max(max, Math.abs((a[el] ?? 0) - (b[el] ?? 0)));
  return Math.round(max * 1e6) / 1e6;
}
