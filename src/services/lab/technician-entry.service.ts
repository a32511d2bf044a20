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
import { acceptedProperties, measuredProperties, normaliseObjectives, reportedPropertyProblems, type Objectives } from '../../core/domain/objectives.js';
import { checkProcessValues, withProcessDefaults, type ProcessValues, type ProcessVariable } from '../../core/domain/process.js';
import { CampaignRepository } from '../../repositories/campaign.repository.js';
import type { CampaignEntity } from '../../repositories/entities/campaign.entity.js';

const KNOWN = new Set<string>(ELEMENT_SYMBOLS);
/** The result fields of a bulk upload's columns (the rest name properties and process variables). */
const BULK_FIELDS = ['experiment', 'phase', 'yieldStrengthMPa', 'elongationPct', 'composition', 'measuredAt', 'idempotencyKey', 'notes'] as const;
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
    @Inject(CampaignRepository) private readonly campaigns: CampaignRepository,
  ) {}

  /** What a campaign takes in a result beyond phase, yield and elongation: its further properties and process variables. */
  private async campaignOf(campaignId: string): Promise<CampaignEntity> {
    const campaign = await this.campaigns.findById(campaignId);
    if (!campaign) throw new NotFound('campaign', campaignId);
    return campaign;
  }

  async enter(experimentId: string, dto: ResultEntryDto, actor: string, idempotencyKey?: string): Promise<IngestOutcome> {
    const experiment = await this.experiments.findById(experimentId);
    if (!experiment) throw new NotFound('experiment', experimentId);
    return this.enterInto(experiment, await this.campaignOf(experiment.campaignId), dto, actor, idempotencyKey);
  }

  /** One result for an experiment of `campaign` (a bulk upload reads the campaign once for all its rows). */
  private async enterInto(experiment: ExperimentEntity, campaign: CampaignEntity, dto: ResultEntryDto, actor: string, idempotencyKey?: string): Promise<IngestOutcome> {
    const experimentId = experiment.id;
    const problems = checkEntry(dto, campaign);
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
      // a technician makes what was dispatched (the experiment's process) unless the entry says otherwise
      process: dto.process && Object.keys(dto.process).length > 0 ? { ...experiment.process, ...dto.process } : experiment.process,
      phase: dto.phase,
      yieldStrengthMPa: dto.yieldStrengthMPa ?? null,
      elongationPct: dto.elongationPct ?? null,
      properties: dto.properties ?? null,
      measuredAt: dto.measuredAt ? new Date(dto.measuredAt) : new Date(),
      raw: { enteredVia: 'rest', ...dto },
      enteredBy: actor,
      notes: dto.notes ?? null,
    };
  }

  /**
   * Bulk CSV: columns experiment (number or id), phase, yieldStrengthMPa, elongationPct, [composition], [measuredAt],
   * [idempotencyKey], [notes], and one column per further property (acceptedProperties: dmaxMm, tgK, ..., the free names the
   * campaign's objectives name) or process variable of the campaign (by its name). Any other column is a 400, nothing stored.
   */
  async enterBulk(campaignId: string, csv: string, actor: string) {
    let rows: Record<string, string>[];
    try {
      rows = parseCsv(csv.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true, trim: true });
    } catch (error) {
      throw new Invalid(`invalid CSV: ${(error as Error).message}`);
    }
    if (rows.length === 0) throw new Invalid('the upload has no data rows');
    if (!('experiment' in rows[0]) || !('phase' in rows[0])) throw new Invalid('columns "experiment" and "phase" are required');
    const campaign = await this.campaignOf(campaignId);
    const columns = bulkColumns(Object.keys(rows[0]), campaign);
    const results: { row: number; outcome: string; measurementId?: string; reason?: string }[] = [];
    for (const [i, r] of rows.entries()) {
      const row = i + 1;
      try {
        const experiment = await this.findExperiment(campaignId, r.experiment);
        const properties = Object.fromEntries(columns.properties.filter((c) => r[c] !== '').map((c) => [c, cellValue(r[c])]));
        const process = Object.fromEntries(columns.process.filter((v) => r[v.name] !== '').map((v) => [v.name, v.kind === 'continuous' ? cellValue(r[v.name]) : r[v.name]]));
        const dto: ResultEntryDto = {
          phase: r.phase as Phase,
          yieldStrengthMPa: num(r.yieldStrengthMPa),
          elongationPct: num(r.elongationPct),
          ...(r.measuredAt ? { measuredAt: r.measuredAt } : {}),
          ...(r.notes ? { notes: r.notes } : {}),
          ...(r.composition ? { composition: parseCompositionCell(r.composition) } : {}),
          // checked in enter() like a JSON entry's (a text cell is named in the reason)
          ...(Object.keys(properties).length ? { properties: properties as Record<string, number | null> } : {}),
          ...(Object.keys(process).length ? { process: process as ProcessValues } : {}),
        };
        const outcome = await this.enterInto(experiment, campaign, dto, actor, r.idempotencyKey || undefined);
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
    const current = await this.measurements.findOne({ id: measurementId });
    if (!current) throw new NotFound('measurement', measurementId);
    const campaign = await this.campaignOf(current.campaignId);
    const problems = checkEntry(dto, campaign);
    const composition = dto.composition ? readComposition(dto.composition, problems) : null;
    if (problems.length > 0) throw new Invalid(`invalid correction: ${problems.join('; ')}`, problems);
    const accepted = acceptedProperties(objectivesOf(campaign));
    const saved = await this.db.transaction(async (m) => {
      const old = await this.measurements.lock(m, measurementId);
      if (!old) throw new NotFound('measurement', measurementId);
      if (!old.isCurrent) throw new IllegalTransition(`measurement ${measurementId} was already corrected; correct its latest revision`);
      // Properties given: they replace the measured ones; left out: the old values stay. The same for process values.
      const extra = dto.properties
        ? { ...Object.fromEntries(Object.entries(old.extra ?? {}).filter(([k]) => !accepted.includes(k))), ...measuredProperties(dto.properties) }
        : old.extra;
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
          process: dto.process && Object.keys(dto.process).length > 0 ? { ...(old.process ?? withProcessDefaults(null, campaign.designSpace.process ?? [])), ...dto.process } : old.process,
          extra: { ...extra, correctionReason: dto.reason, ...(dto.notes ? { notes: dto.notes } : {}) },
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

function objectivesOf(campaign: CampaignEntity): Objectives {
  return normaliseObjectives(campaign.objectives);
}

/** Why an entry does not fit: phase, yield and elongation, the further properties and process values the campaign takes. */
function checkEntry(dto: ResultEntryDto, campaign: CampaignEntity): string[] {
  const problems: string[] = [];
  if (!(PHASES as readonly string[]).includes(dto.phase)) problems.push(`phase must be one of ${PHASES.join(', ')}`);
  for (const [field, range] of Object.entries(PHYSICAL_RANGES) as [keyof typeof PHYSICAL_RANGES, { min: number; max: number }][]) {
    const v = dto[field];
    if (v === null || v === undefined) {
      if (dto.phase !== 'crystalline') problems.push(`${field} is required unless the sample is crystalline`);
    } else if (!Number.isFinite(v) || v < range.min || v > range.max) problems.push(`${field} ${v} is outside ${range.min}..${range.max}`);
  }
  if (dto.properties !== undefined) problems.push(...reportedPropertyProblems(dto.properties, objectivesOf(campaign)));
  if (dto.process !== undefined) problems.push(...checkProcessValues(dto.process, campaign.designSpace.process ?? []));
  return problems;
}

/**
 * The columns of a bulk upload beyond the result fields: the further properties and the process
 * variables the campaign takes, by name; an unknown column is a 400 that names what it takes.
 */
function bulkColumns(header: string[], campaign: CampaignEntity): { properties: string[]; process: ProcessVariable[] } {
  const accepted = acceptedProperties(objectivesOf(campaign));
  const variables = campaign.designSpace.process ?? [];
  const properties: string[] = [];
  const process: ProcessVariable[] = [];
  const problems: string[] = [];
  for (const column of header) {
    if ((BULK_FIELDS as readonly string[]).includes(column)) continue;
    const variable = variables.find((v) => v.name === column);
    const property = accepted.includes(column);
    if (variable && property) problems.push(`column "${column}" is both a property and a process variable of this campaign`);
    else if (variable) process.push(variable);
    else if (property) properties.push(column);
    else {
      problems.push(
        `column "${column}" is not a result field (${BULK_FIELDS.join(', ')}), a property this campaign takes (${accepted.join(', ')}) ` +
          `or one of its process variables (${variables.map((v) => v.name).join(', ') || 'it has none'})`,
      );
    }
  }
  if (problems.length > 0) throw new Invalid(`invalid CSV header: ${problems.join('; ')}`, problems);
  return { properties, process };
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

/** A CSV cell as a number when it reads as one (Infinity included, for the check to name), else the text as it is. */
function cellValue(cell: string): number | string {
  const n = Number(cell);
  return Number.isNaN(n) ? cell : n;
}

function parseCompositionCell(cell: string): Record<string, number> {
  // "Zr:62.4 Cu:22.6 Al:10 Ni:5" or JSON
  if (cell.trim().startsWith('{')) return JSON.parse(cell);
  return Object.fromEntries(cell.split(/[\s;]+/).filter(Boolean).map((p) => {
    const [el, v] = p.split(':');
    return [el, Number(v)];
  }));
}
