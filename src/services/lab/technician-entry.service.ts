import { Inject, Injectable } from '@nestjs/common';
import { parse as parseCsv } from 'csv-parse/sync';
import { AuditService } from '../campaigns/audit.service.js';
import { CampaignEvents } from '../campaigns/campaign-events.js';
import { IllegalTransition, Invalid, NotFound } from '../../common/errors.js';
import { formatFormula, normalize } from '../../core/chemistry/composition.js';
import { ELEMENT_SYMBOLS } from '../../core/chemistry/elements.js';
import type { Composition } from '../../core/chemistry/types.js';
import type { ExperimentEntity } from '../../repositories/entities/experiment.entity.js';
import { Database } from '../../repositories/database.js';
import { ExperimentRepository } from '../../repositories/experiment.repository.js';
import { MeasurementRepository } from '../../repositories/measurement.repository.js';
import { IngestService, maxDeviation, type IncomingResult, type IngestOutcome } from './ingest.service.js';
import { claimIdempotencyKey, requestHash } from '../../repositories/idempotency.js';
import { RejectedStore } from './lab-messages.service.js';
import { PHASES, type MeasurementEntity, type Phase } from '../../repositories/entities/measurement.entity.js';
import type { CorrectionDto, ResultEntryDto } from './result-entry.dto.js';
import { PHYSICAL_RANGES } from '../campaigns/seed-import.js';

const KNOWN = new Set<string>(ELEMENT_SYMBOLS);
/** Technicians round: an as-made composition within 1 at.% of 100 in total is normalised. */
const ENTRY_SUM_TOLERANCE = 1;

/** Technicians' results over REST: one by one, in bulk (CSV), and corrections as new revisions. */
@Injectable()
export class TechnicianEntryService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ExperimentRepository) private readonly experiments: ExperimentRepository,
    @Inject(MeasurementRepository) private readonly measurements: MeasurementRepository,
    @Inject(IngestService) private readonly ingest: IngestService,
    @Inject(RejectedStore) private readonly rejected: RejectedStore,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(CampaignEvents) private readonly events: CampaignEvents,
  ) {}

  async enter(experimentId: string, dto: ResultEntryDto, actor: string, idempotencyKey?: string): Promise<IngestOutcome> {
    const experiment = await this.experiments.findById(experimentId);
    if (!experiment) throw new NotFound('experiment', experimentId);
    const problems = checkEntry(dto);
    const composition = dto.composition ? readComposition(dto.composition, problems) : experiment.composition;
    if (problems.length > 0) {
      await this.rejected.record({
        channel: 'rest', topic: `POST /api/v1/experiments/${experimentId}/measurements`, campaignId: experiment.campaignId,
        payload: JSON.stringify(dto), reason: problems.join('; '),
      });
      throw new Invalid(`invalid result: ${problems.join('; ')}`, problems);
    }
    return this.db.transaction(async (m) => {
      // the key is bound to this request: the same key with other values is a 422, not a silent no-op
      if (idempotencyKey) await claimIdempotencyKey(m, experiment.campaignId, idempotencyKey, requestHash({ experimentId, ...dto }));
      return this.ingest.ingest(this.entryOf(experiment, dto, composition!, actor, idempotencyKey), m);
    });
  }

  private entryOf(experiment: ExperimentEntity, dto: ResultEntryDto, composition: Composition, actor: string, idempotencyKey?: string): IncomingResult {
    return {
      source: 'technician',
      experiment,
      jobId: null,
      instrumentId: null,
      externalId: null,
      // Without a key every entry is new; with one, a retried request is stored once.
      idempotencyKey: idempotencyKey ?? null,
      composition,
      // a technician makes what was dispatched: the experiment's process
      process: experiment.process,
      phase: dto.phase,
      yieldStrengthMPa: dto.yieldStrengthMPa ?? null,
      elongationPct: dto.elongationPct ?? null,
      measuredAt: dto.measuredAt ? new Date(dto.measuredAt) : new Date(),
      raw: { enteredVia: 'rest', ...dto },
      enteredBy: actor,
      notes: dto.notes ?? null,
    };
  }

  /** Bulk CSV: columns experiment (number or id), phase, yieldStrengthMPa, elongationPct, [composition], [measuredAt], [idempotencyKey]. */
  async enterBulk(campaignId: string, csv: string, actor: string) {
    let rows: Record<string, string>[];
    try {
      rows = parseCsv(csv.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true, trim: true });
    } catch (error) {
      throw new Invalid(`invalid CSV: ${(error as Error).message}`);
    }
    if (rows.length === 0) throw new Invalid('the upload has no data rows');
    if (!('experiment' in rows[0]) || !('phase' in rows[0])) throw new Invalid('columns "experiment" and "phase" are required');
    const results: { row: number; outcome: string; measurementId?: string; reason?: string }[] = [];
    for (const [i, r] of rows.entries()) {
      const row = i + 1;
      try {
        const experiment = await this.findExperiment(campaignId, r.experiment);
        const dto: ResultEntryDto = {
          phase: r.phase as Phase,
          yieldStrengthMPa: num(r.yieldStrengthMPa),
          elongationPct: num(r.elongationPct),
          ...(r.measuredAt ? { measuredAt: r.measuredAt } : {}),
          ...(r.composition ? { composition: parseCompositionCell(r.composition) } : {}),
        };
        const outcome = await this.enter(experiment.id, dto, actor, r.idempotencyKey || undefined);
        results.push(outcome.stored ? { row, outcome: 'stored', measurementId: outcome.measurement.id } : { row, outcome: 'duplicate', measurementId: outcome.duplicateOf });
      } catch (error) {
        const reason = (error as { getResponse?: () => { message: string } }).getResponse?.().message ?? (error as Error).message;
        results.push({ row, outcome: 'rejected', reason });
      }
    }
    return {
      stored: results.filter((r) => r.outcome === 'stored').length,
      duplicates: results.filter((r) => r.outcome === 'duplicate').length,
      rejected: results.filter((r) => r.outcome === 'rejected').length,
      rows: results,
    };
  }

  private async findExperiment(campaignId: string, ref: string | undefined): Promise<ExperimentEntity> {
    if (!ref) throw new Error('experiment is empty');
    const found = /^\d+$/.test(ref)
      ? await this.experiments.findInCampaign(campaignId, { sequence: Number(ref) })
      : /^[0-9a-f-]{36}$/i.test(ref)
        ? await this.experiments.findInCampaign(campaignId, { id: ref })
        : null;
    if (!found) throw new Error(`experiment ${ref} is not in this campaign`);
    return found;
  }

  /** A correction is a new revision; the corrected one stays in the history. */
  async correct(measurementId: string, dto: CorrectionDto, actor: string): Promise<MeasurementEntity> {
    const problems = checkEntry(dto);
    const composition = dto.composition ? readComposition(dto.composition, problems) : null;
    if (problems.length > 0) throw new Invalid(`invalid correction: ${problems.join('; ')}`, problems);
    const saved = await this.db.transaction(async (m) => {
      const old = await this.measurements.lock(m, measurementId);
      if (!old) throw new NotFound('measurement', measurementId);
      if (!old.isCurrent) throw new IllegalTransition(`measurement ${measurementId} was already corrected; correct its latest revision`);
      await this.measurements.supersede(m, old.id);
      const newComposition = composition ?? old.composition;
      const dispatched = old.experimentId ? (await this.experiments.findById(old.experimentId, m))?.composition : null;
      const { id: _id, createdAt: _c, ...rest } = old;
      const row = await this.measurements.save(
        m,
        {
          ...rest,
          externalId: old.externalId, // kept for provenance; uniqueness applies to revision 1 only
          idempotencyKey: null,
          composition: newComposition,
          formula: formatFormula(newComposition),
          elements: Object.keys(newComposition).sort(),
          phase: dto.phase,
          isGlass: dto.phase === 'amorphous',
          yieldStrengthMPa: dto.yieldStrengthMPa ?? null,
          elongationPct: dto.elongationPct ?? null,
          measuredAt: dto.measuredAt ? new Date(dto.measuredAt) : old.measuredAt,
          compositionDeviation: dispatched ? maxDeviation(newComposition, dispatched) : old.compositionDeviation,
          extra: { ...old.extra, correctionReason: dto.reason, ...(dto.notes ? { notes: dto.notes } : {}) },
          enteredBy: actor,
          revision: old.revision + 1,
          supersedesId: old.id,
          isCurrent: true,
        },
      );
      await this.audit.record(
        {
          entityType: 'measurement', entityId: row.id, campaignId: old.campaignId, action: 'correct', cause: dto.reason, actor,
          details: { supersedes: old.id, revision: row.revision },
        },
        m,
      );
      return row;
    });
    this.events.emit({ type: 'measurements.added', campaignId: saved.campaignId, count: 1, source: 'technician', measurementId: saved.id, experimentId: saved.experimentId ?? undefined, at: new Date().toISOString() });
    return saved;
  }

  async history(measurementId: string): Promise<MeasurementEntity[]> {
    if (!(await this.measurements.findOne({ id: measurementId }))) throw new NotFound('measurement', measurementId);
    return this.measurements.history(measurementId);
  }
}

function checkEntry(dto: ResultEntryDto): string[] {
  const problems: string[] = [];
  if (!(PHASES as readonly string[]).includes(dto.phase)) problems.push(`phase must be one of ${PHASES.join(', ')}`);
  for (const [field, range] of Object.entries(PHYSICAL_RANGES) as [keyof typeof PHYSICAL_RANGES, { min: number; max: number }][]) {
    const v = dto[field];
    if (v === null || v === undefined) {
      if (dto.phase !== 'crystalline') problems.push(`${field} is required unless the sample is crystalline`);
    } else if (!Number.isFinite(v) || v < range.min || v > range.max) problems.push(`${field} ${v} is outside ${range.min}..${range.max}`);
  }
  return problems;
}

/** A composition as the API takes it on its own writes: known elements, non-negative numbers, a sum of 100 (within 1 at.%), normalised; null with the problems otherwise. */
export function readComposition(raw: Record<string, unknown>, problems: string[]): Composition | null {
  const c: Composition = {};
  for (const [el, v] of Object.entries(raw)) {
    if (!KNOWN.has(el)) problems.push(`unknown element "${el}" in composition`);
    else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) problems.push(`composition ${el} must be a non-negative number`);
    else if (v > 0) c[el] = v;
  }
  const sum = Object.values(c).reduce((s, v) => s + v, 0);
  if (Object.keys(c).length === 0) problems.push('composition is empty');
  else if (Math.abs(sum - 100) > ENTRY_SUM_TOLERANCE) problems.push(`composition sums to ${Math.round(sum * 100) / 100} at.%, not 100`);
  return problems.length > 0 ? null : normalize(c);
}

function num(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : Number.NaN;
}

function parseCompositionCell(cell: string): Record<string, number> {
  // "Zr:62.4 Cu:22.6 Al:10 Ni:5" or JSON
  if (cell.trim().startsWith('{')) return JSON.parse(cell);
  return Object.fromEntries(cell.split(/[\s;]+/).filter(Boolean).map((p) => {
    const [el, v] = p.split(':');
    return [el, Number(v)];
  }));
}
