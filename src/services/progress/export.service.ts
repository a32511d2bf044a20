import { Inject, Injectable, Logger } from '@nestjs/common';
import { plainToInstance } from 'class-transformer';
import { validate, type ValidationError } from 'class-validator';
import { randomUUID } from 'node:crypto';
import { CampaignArchiveRepository } from '../../repositories/campaign-archive.repository.js';
import { CampaignRepository } from '../../repositories/campaign.repository.js';
import { Database } from '../../repositories/database.js';
import { AuditService } from '../campaigns/audit.service.js';
import { CreateCampaignDto } from '../campaigns/campaign.dto.js';
import type { Objectives } from '../../repositories/entities/campaign.entity.js';
import { propertyValue } from '../../core/domain/objectives.js';
import { CampaignsService, fromDesignSpace } from '../campaigns/campaigns.service.js';
import { Invalid } from '../../common/errors.js';
import { isSuccess } from '../../core/domain/success.js';
import { compositionColumns, documentRowProblems, IN_FLIGHT_EXPERIMENT_STATUSES, OPEN_JOB_STATUSES } from './campaign-document.js';

const CHUNK = 2000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const CAMPAIGN_DOCUMENT_FORMAT = 'aimatdesign-campaign';
export const CAMPAIGN_DOCUMENT_VERSION = 1;

type Row = Record<string, any>;
const iso = (d: unknown) => (d === null || d === undefined ? null : new Date(d as string).toISOString());
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** A measurement with its provenance, as exported. */
export function measurementView(r: Row, objectives: Objectives, withRaw: boolean): Row {
  const values = { isGlass: r.is_glass, yieldStrengthMPa: num(r.yield_strength_mpa), elongationPct: num(r.elongation_pct) };
  const withExtra = { ...values, extra: r.extra ?? {} };
  return {
    id: r.id,
    campaignId: r.campaign_id,
    experimentId: r.experiment_id,
    experimentSequence: r.experiment_sequence ?? null,
    source: r.source,
    instrumentId: r.instrument_id,
    jobId: r.job_id,
    externalId: r.external_id,
    idempotencyKey: r.idempotency_key,
    name: r.name,
    formula: r.formula,
    composition: r.composition,
    process: r.process ?? null,
    elements: r.elements,
    phase: r.phase,
    ...values,
    meetsObjectives: isSuccess(withExtra, objectives),
    extra: r.extra ?? {},
    compositionDeviation: num(r.composition_deviation),
    flags: r.flags ?? [],
    measuredAt: iso(r.measured_at),
    enteredBy: r.entered_by,
    revision: r.revision,
    supersedesId: r.supersedes_id,
    isCurrent: r.is_current,
    createdAt: iso(r.created_at),
    ...(withRaw ? { raw: r.raw ?? null } : {}),
  };
}

/** An experiment with its latest current result (when there is one) and that result's provenance. */
export function experimentView(r: Row, objectives: Objectives): Row {
  const measured = r.m_id
    ? {
        id: r.m_id, source: r.m_source, instrumentId: r.m_instrument_id, jobId: r.m_job_id, enteredBy: r.m_entered_by,
        revision: r.m_revision, phase: r.m_phase, isGlass: r.m_is_glass, yieldStrengthMPa: num(r.m_yield_strength_mpa),
        elongationPct: num(r.m_elongation_pct), extra: r.m_extra ?? {}, process: r.m_process ?? null, measuredAt: iso(r.m_measured_at), createdAt: iso(r.m_created_at),
      }
    : null;
  return {
    id: r.id,
    campaignId: r.campaign_id,
    sequence: r.sequence,
    batchNumber: r.batch_number,
    status: r.status,
    formula: r.formula,
    composition: r.composition,
    process: r.process ?? null,
    elements: r.elements,
    prediction: r.prediction,
    modelVersionId: r.model_version_id,
    currentJobId: r.current_job_id,
    instrumentId: r.instrument_id,
    attempts: r.attempts,
    deadline: iso(r.deadline),
    statusReason: r.status_reason,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    measurement: measured,
    meetsObjectives: measured ? isSuccess(measured, objectives) : null,
  };
}

export const MEASUREMENT_CSV_COLUMNS = [
  'id', 'experimentId', 'experimentSequence', 'source', 'instrumentId', 'jobId', 'externalId', 'name', 'formula', 'composition', 'process', 'phase',
  'isGlass', 'yieldStrengthMPa', 'elongationPct', 'meetsObjectives', 'extra', 'compositionDeviation', 'flags', 'measuredAt', 'enteredBy',
  'revision', 'supersedesId', 'isCurrent', 'createdAt',
];
export const EXPERIMENT_CSV_COLUMNS = [
  'id', 'sequence', 'batchNumber', 'status', 'formula', 'composition', 'process', 'predictedPGlass', 'predictedYieldStrengthMPa', 'predictedElongationPct',
  'modelVersionId', 'instrumentId', 'currentJobId', 'attempts', 'statusReason', 'createdAt', 'updatedAt', 'measurementId', 'measurementSource',
  'measurementInstrumentId', 'measurementJobId', 'measurementEnteredBy', 'measurementRevision', 'isGlass', 'yieldStrengthMPa', 'elongationPct',
  'meetsObjectives',
];

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a
 * carriage return) is prefixed with ' (OWASP's CSV-injection rule): user and instrument strings
 * end up in these files. Numbers are written as numbers.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = Array.isArray(v) ? v.join(';') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (typeof v !== 'number' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
export const csvLine = (values: unknown[]) => `${values.map(csvCell).join(',')}\n`;

/** The objective properties beyond yield and elongation: one measured-value column each in the experiments CSV. */
export function objectiveColumns(objectives: Objectives): string[] {
  return objectives.targets.map((t) => t.property).filter((p) => p !== 'yieldStrengthMPa' && p !== 'elongationPct');
}

/** The experiments CSV header: the fixed columns, then one per further objective property. */
export function experimentCsvColumns(objectives: Objectives): string[] {
  return [...EXPERIMENT_CSV_COLUMNS, ...objectiveColumns(objectives)];
}

export function experimentCsvRow(e: Row, extraProperties: readonly string[] = []): unknown[] {
  const m = e.measurement;
  return [
    ...experimentCsvFixed(e, m),
    ...extraProperties.map((p) => (m ? propertyValue(m, p) : null)),
  ];
}

function experimentCsvFixed(e: Row, m: Row | null): unknown[] {
  return [
    e.id, e.sequence, e.batchNumber, e.status, e.formula, e.composition, e.process, e.prediction?.pGlass, e.prediction?.yieldStrengthMPa,
    e.prediction?.elongationPct, e.modelVersionId, e.instrumentId, e.currentJobId, e.attempts, e.statusReason, e.createdAt, e.updatedAt,
    m?.id, m?.source, m?.instrumentId, m?.jobId, m?.enteredBy, m?.revision, m?.isGlass, m?.yieldStrengthMPa, m?.elongationPct, e.meetsObjectives,
  ];
}

type Writer = (chunk: string) => Promise<void> | void;

/**
 * Exports (measurements and experiments as CSV/JSON with provenance; the whole campaign as one
 * JSON document) and the import of such a document as a new campaign. Measurements are read in
 * keyset-paged chunks and written as they come, so a large campaign never sits in memory twice.
 */
@Injectable()
export class ExportService {
  private readonly log = new Logger('Export');

  constructor(
    @Inject(Database) private readonly database: Database,
    @Inject(CampaignArchiveRepository) private readonly archive: CampaignArchiveRepository,
    @Inject(CampaignRepository) private readonly campaignRows: CampaignRepository,
    @Inject(CampaignsService) private readonly campaigns: CampaignsService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  /**
   * Measurement rows in (created_at, id) order, chunk by chunk, through a server-side cursor in a
   * read-only snapshot (one sort, however many rows share a timestamp).
   */
  async *measurementRows(campaignId: string, allRevisions: boolean, withRaw = true): AsyncGenerator<Row[]> {
    if (!UUID.test(campaignId)) throw new Invalid(`campaign id ${campaignId} is not a UUID`);
    yield* this.archive.measurementRows(campaignId, allRevisions, withRaw, CHUNK);
  }

  async writeMeasurements(campaignId: string, format: 'csv' | 'json', allRevisions: boolean, write: Writer): Promise<void> {
    const { objectives } = await this.campaigns.find(campaignId);
    let first = true;
    await write(format === 'csv' ? csvLine(MEASUREMENT_CSV_COLUMNS) : '[');
    for await (const rows of this.measurementRows(campaignId, allRevisions, format === 'json')) {
      const views = rows.map((r) => measurementView(r, objectives, format === 'json'));
      if (format === 'csv') {
        await write(views.map((v) => csvLine(MEASUREMENT_CSV_COLUMNS.map((c) => v[c]))).join(''));
      } else {
        await write(views.map((v, i) => `${first && i === 0 ? '' : ','}\n${JSON.stringify(v)}`).join(''));
        first = false;
      }
    }
    if (format === 'json') await write('\n]\n');
  }

  async experiments(campaignId: string): Promise<Row[]> {
    const { objectives } = await this.campaigns.find(campaignId);
    const rows = await this.archive.experimentsWithResults(campaignId);
    return rows.map((r) => experimentView(r, objectives));
  }

  /** The whole campaign as one JSON document (see README "Progress API"). */
  async writeCampaignDocument(campaignId: string, artifacts: boolean, write: Writer): Promise<void> {
    const c = await this.campaigns.find(campaignId);
    const { experiments, jobs, models, checkpoints, refinement } = await this.archive.documentRows(campaignId, artifacts);
    const head = {
      format: CAMPAIGN_DOCUMENT_FORMAT,
      version: CAMPAIGN_DOCUMENT_VERSION,
      exportedAt: new Date().toISOString(),
      sourceCampaignId: c.id,
      artifactsIncluded: artifacts,
      campaign: {
        name: c.name, description: c.description, status: c.status, designSpace: fromDesignSpace(c.designSpace), objectives: c.objectives,
        budget: c.budget, batchSize: c.batchSize, seed: c.seed, strategy: c.strategy, approvalRequired: c.approvalRequired,
        createdBy: c.createdBy, completionReason: c.completionReason, startedAt: iso(c.startedAt), finishedAt: iso(c.finishedAt),
        createdAt: iso(c.createdAt),
      },
      experiments: experiments.map((e) => ({
        id: e.id, sequence: e.sequence, batchNumber: e.batch_number, status: e.status, composition: e.composition, process: e.process ?? null, formula: e.formula,
        elements: e.elements, prediction: e.prediction, modelVersionId: e.model_version_id, currentJobId: e.current_job_id,
        instrumentId: e.instrument_id, attempts: e.attempts, deadline: iso(e.deadline), statusReason: e.status_reason,
        createdAt: iso(e.created_at), updatedAt: iso(e.updated_at),
      })),
      instrumentJobs: jobs.map((j) => ({
        jobId: j.job_id, experimentId: j.experiment_id, instrumentId: j.instrument_id, attempt: j.attempt, status: j.status, stages: j.stages,
        dispatchedAt: iso(j.dispatched_at), deadline: iso(j.deadline), lastEventAt: iso(j.last_event_at), lastEvent: j.last_event,
        finishedAt: iso(j.finished_at),
      })),
      modelVersions: models.map((m) => ({
        id: m.id, version: m.version, kind: m.kind, features: m.features, hyperparameters: m.hyperparameters, metrics: m.metrics,
        dataCounts: m.data_counts, seed: m.seed, trigger: m.trigger, isActive: m.is_active, trainingSeconds: num(m.training_seconds),
        createdAt: iso(m.created_at), ...(artifacts ? { artifact: m.artifact } : {}),
      })),
      agentCheckpoints: checkpoints.map((k) => ({
        id: k.id, modelVersionId: k.model_version_id, iteration: k.iteration, config: k.config, trainingCurve: k.training_curve,
        envSteps: k.env_steps, createdAt: iso(k.created_at), ...(artifacts ? { weights: k.weights } : {}),
      })),
      refinementEvents: refinement.map((r) => ({
        id: r.id, iteration: r.iteration, reason: r.reason, correlationBefore: num(r.correlation_before), correlationAfter: num(r.correlation_after),
        variance: num(r.variance), featuresBefore: r.features_before, featuresChosen: r.features_chosen, rationale: r.rationale,
        provider: r.provider, metricsBefore: r.metrics_before, metricsAfter: r.metrics_after, accepted: r.accepted,
        modelVersionId: r.model_version_id, createdAt: iso(r.created_at),
      })),
    };
    const text = JSON.stringify(head);
    // measurements (every revision) are streamed in as the last member
    await write(`${text.slice(0, -1)},"measurements":[`);
    let first = true;
    for await (const rows of this.measurementRows(campaignId, true)) {
      await write(rows.map((r, i) => `${first && i === 0 ? '' : ','}\n${JSON.stringify(measurementView(r, c.objectives, true))}`).join(''));
      first = false;
    }
    await write('\n]}\n');
  }

  /**
   * Re-create an exported campaign as a new one (new ids, references mapped, provenance and
   * timestamps kept). A running or paused campaign comes back paused, ready to resume; drafts
   * stay drafts, finished campaigns stay finished.
   */
  async importDocument(doc: unknown, actor: string): Promise<{ campaignId: string; status: string; counts: Record<string, number> }> {
    const d = asObject(doc, 'document');
    if (d.format !== CAMPAIGN_DOCUMENT_FORMAT) throw new Invalid(`not a campaign document: format must be "${CAMPAIGN_DOCUMENT_FORMAT}"`);
    if (d.version !== CAMPAIGN_DOCUMENT_VERSION) throw new Invalid(`unsupported campaign document version ${String(d.version)} (expected ${CAMPAIGN_DOCUMENT_VERSION})`);
    const settings = asObject(d.campaign, 'campaign');
    const list = (key: string) => {
      const v = d[key] ?? [];
      if (!Array.isArray(v)) throw new Invalid(`${key} must be an array`);
      return v.map((x, i) => asObject(x, `${key}[${i}]`));
    };
    const experiments = list('experiments');
    const jobs = list('instrumentJobs');
    const models = list('modelVersions');
    const checkpoints = list('agentCheckpoints');
    const refinement = list('refinementEvents');
    const measurements = list('measurements');
    // Same rules as the API's own writes, for every row, before anything is stored.
    const problems = documentRowProblems(d);
    if (problems.length > 0) throw new Invalid(`invalid campaign document: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ''}`, problems);

    const dto = plainToInstance(CreateCampaignDto, {
      name: settings.name, description: settings.description, designSpace: settings.designSpace, objectives: settings.objectives,
      budget: settings.budget, batchSize: settings.batchSize, seed: settings.seed, approvalRequired: settings.approvalRequired,
      strategy: settings.strategy ?? undefined,
    });
    const errors = await validate(dto, { whitelist: true, forbidUnknownValues: false });
    if (errors.length > 0) throw new Invalid(`invalid campaign settings: ${flattenErrors(errors).join('; ')}`, flattenErrors(errors));
    const created = await this.campaigns.create(dto, actor);
    const campaignId = created.id;

    try {
      await this.database.transaction(async (m) => {
        const ids = new Map<string, string>();
        const map = (old: unknown): string | null => {
          if (typeof old !== 'string' || old === '') return null;
          let id = ids.get(old);
          if (!id) ids.set(old, (id = randomUUID()));
          return id;
        };
        const known = (old: unknown): string | null => (typeof old === 'string' ? ids.get(old) ?? null : null);
        const status = settings.status === 'running' || settings.status === 'paused' ? 'paused' : (settings.status as string);
        await this.archive.setImportedState(m, campaignId, {
          status: ['draft', 'paused', 'completed', 'aborted'].includes(status) ? status : 'draft',
          strategy: json(created.strategy), // checked by CreateCampaignDto, defaults filled in
          startedAt: settings.startedAt ?? null,
          finishedAt: settings.finishedAt ?? null,
          completionReason: settings.completionReason ?? null,
          createdBy: settings.createdBy ?? actor,
        });

        for (const mv of models) map(mv.id);
        await this.archive.insertRows(m, 'model_version', models.map((mv) => ({
          id: map(mv.id), campaign_id: campaignId, version: mv.version, kind: mv.kind, features: mv.features ?? [],
          hyperparameters: json(mv.hyperparameters ?? {}), metrics: json(mv.metrics ?? {}), data_counts: json(mv.dataCounts ?? {}),
          seed: mv.seed ?? 0, trigger: mv.trigger ?? 'import', is_active: mv.isActive ?? false, training_seconds: mv.trainingSeconds ?? null,
          artifact: json(mv.artifact ?? null), created_at: mv.createdAt ?? new Date().toISOString(),
        })));
        for (const e of experiments) map(e.id);
        for (const j of jobs) map(j.jobId);
        // An import never hands work to an instrument: jobs still open in the document are closed
        // (cancelled), and their experiments go back to the queue for a new dispatch once resumed.
        const importedAt = new Date().toISOString();
        await this.archive.insertRows(m, 'experiment', experiments.map((e) => {
          const inFlight = IN_FLIGHT_EXPERIMENT_STATUSES.includes(e.status);
          const c = compositionColumns(e.composition);
          return {
            id: map(e.id), campaign_id: campaignId, sequence: e.sequence, batch_number: e.batchNumber,
            status: inFlight ? 'queued' : e.status, composition: json(c.composition), process: json(processObject(e.process)), formula: c.formula, elements: c.elements,
            prediction: json(e.prediction ?? null), model_version_id: known(e.modelVersionId), current_job_id: inFlight ? null : known(e.currentJobId),
            instrument_id: inFlight ? null : e.instrumentId ?? null, attempts: e.attempts ?? 0, deadline: inFlight ? null : e.deadline ?? null,
            status_reason: inFlight ? `imported while ${String(e.status)}: its instrument job stays with the source service; queued for a new dispatch` : e.statusReason ?? null,
            created_at: e.createdAt ?? importedAt, updated_at: e.updatedAt ?? e.createdAt ?? importedAt,
          };
        }));
        await this.archive.insertRows(m, 'instrument_job', jobs.filter((j) => known(j.experimentId)).map((j) => {
          const open = OPEN_JOB_STATUSES.includes(j.status) || !j.finishedAt;
          return {
            job_id: map(j.jobId), experiment_id: known(j.experimentId), campaign_id: campaignId, instrument_id: j.instrumentId, attempt: j.attempt ?? 1,
            status: open ? 'cancelled' : j.status, stages: j.stages ?? [], dispatched_at: j.dispatchedAt, deadline: j.deadline ?? j.dispatchedAt,
            last_event_at: j.lastEventAt ?? null, last_event: json(j.lastEvent ?? null), finished_at: open ? importedAt : j.finishedAt,
          };
        }));
        await this.archive.insertRows(m, 'agent_checkpoint', checkpoints.map((k) => ({
          id: map(k.id), campaign_id: campaignId, model_version_id: known(k.modelVersionId), iteration: k.iteration ?? 0,
          config: json(k.config ?? {}), training_curve: json(k.trainingCurve ?? []), weights: json(k.weights ?? null), env_steps: k.envSteps ?? 0,
          created_at: k.createdAt ?? new Date().toISOString(),
        })));
        await this.archive.insertRows(m, 'refinement_event', refinement.map((r) => ({
          id: map(r.id), campaign_id: campaignId, iteration: r.iteration ?? 0, reason: r.reason ?? '', correlation_before: r.correlationBefore ?? null,
          correlation_after: r.correlationAfter ?? null, variance: r.variance ?? null, features_before: r.featuresBefore ?? [],
          features_chosen: r.featuresChosen ?? [], rationale: r.rationale ?? '', provider: r.provider ?? 'import',
          metrics_before: json(r.metricsBefore ?? {}), metrics_after: json(r.metricsAfter ?? null), accepted: !!r.accepted,
          model_version_id: known(r.modelVersionId), created_at: r.createdAt ?? new Date().toISOString(),
        })));

        // instrument measurement ids are unique per instrument: one already stored (e.g. the
        // original campaign in this database) is kept in extra.importedExternalId instead
        const pairs = measurements.filter((x) => x.externalId && x.instrumentId && (x.revision ?? 1) === 1);
        const taken = await this.archive.takenExternalIds(m, pairs.map((x) => ({ instrumentId: x.instrumentId, externalId: x.externalId })));
        for (const x of measurements) map(x.id);
        const ordered = [...measurements].sort((a, b) => (a.revision ?? 1) - (b.revision ?? 1));
        await this.archive.insertRows(m, 'measurement', ordered.map((x) => {
          const clash = x.externalId && taken.has(`${x.instrumentId}\u0000${x.externalId}`);
          return {
            id: map(x.id), campaign_id: campaignId, experiment_id: known(x.experimentId), source: x.source, instrument_id: x.instrumentId ?? null,
            job_id: known(x.jobId), external_id: clash ? null : x.externalId ?? null, idempotency_key: x.idempotencyKey ?? null,
            name: x.name ?? null, ...compositionRow(x.composition), process: json(processObject(x.process)),
            phase: x.phase ?? null, is_glass: x.isGlass ?? null, yield_strength_mpa: x.yieldStrengthMPa ?? null, elongation_pct: x.elongationPct ?? null,
            extra: json(clash ? { ...(x.extra ?? {}), importedExternalId: x.externalId } : x.extra ?? {}), raw: json(x.raw ?? null),
            composition_deviation: x.compositionDeviation ?? null, flags: x.flags ?? [], measured_at: x.measuredAt ?? null,
            entered_by: x.enteredBy ?? null, revision: x.revision ?? 1, supersedes_id: known(x.supersedesId), is_current: x.isCurrent ?? true,
            created_at: x.createdAt ?? new Date().toISOString(),
          };
        }));
        await this.audit.record(
          {
            entityType: 'campaign', entityId: campaignId, campaignId, action: 'import-campaign', toState: status, actor,
            details: { sourceCampaignId: d.sourceCampaignId ?? null, exportedAt: d.exportedAt ?? null },
          },
          m,
        );
      });
    } catch (error) {
      await this.campaignRows.delete(campaignId);
      if (error instanceof Invalid) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new Invalid(`campaign document could not be imported: ${message}`);
    }
    const counts = {
      experiments: experiments.length, measurements: measurements.length, modelVersions: models.length,
      agentCheckpoints: checkpoints.length, refinementEvents: refinement.length, instrumentJobs: jobs.length,
    };
    const final = await this.campaigns.find(campaignId);
    this.log.log(`campaign ${campaignId} imported from ${String(d.sourceCampaignId)} by ${actor} (${JSON.stringify(counts)})`);
    return { campaignId, status: final.status, counts };
  }
}

/** A document's process values as stored: a JSON object of them, else null. */
function processObject(raw: unknown): Record<string, unknown> | null {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw) && Object.keys(raw).length > 0 ? (raw as Record<string, unknown>) : null;
}

/** composition, formula and elements columns of a checked composition. */
function compositionRow(raw: Row): { composition: string | null; formula: string; elements: string[] } {
  const c = compositionColumns(raw);
  return { composition: json(c.composition), formula: c.formula, elements: c.elements };
}

function asObject(v: unknown, what: string): Row {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Invalid(`${what} must be an object`);
  return v as Row;
}

/** jsonb parameters go in as JSON text (so arrays are not taken for PostgreSQL arrays). */
const json = (v: unknown) => (v === null || v === undefined ? null : JSON.stringify(v));

function flattenErrors(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => `${prefix}${m}`),
    ...flattenErrors(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}
