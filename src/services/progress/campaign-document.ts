/**
 * The rows of a campaign document (`GET .../export/campaign.json`) as `POST /campaigns/import`
 * accepts them: the same rules as the API's own writes (compositions of known elements summing to
 * 100, instrument ids of the protocol, states of the lifecycle, measured values in their physical
 * ranges, bounded text). A document is data from outside: nothing in it reaches the database, the
 * dashboard or an instrument unchecked. Formulas and element lists are recomputed from the checked
 * composition, never taken from the document.
 */
import { z } from 'zod';
import { isValidInstrumentId, STAGES } from '../../../adapters/mqtt/protocol.js';
import { formatFormula } from '../../core/chemistry/composition.js';
import type { Composition } from '../../core/chemistry/types.js';
import { EXPERIMENT_STATUSES } from '../../repositories/entities/experiment.entity.js';
import { MEASUREMENT_SOURCES, PHASES } from '../../repositories/entities/measurement.entity.js';
import { PHYSICAL_RANGES } from '../campaigns/seed-import.js';
import { readComposition } from '../lab/technician-entry.service.js';

/** Instrument job states (the dispatcher's and the gateway's). */
export const JOB_STATUSES = ['dispatched', 'accepted', 'running', 'completed', 'rejected', 'failed', 'timed_out', 'cancelled'] as const;
/** Job states in which an instrument still works on the job (an import never creates one). */
export const OPEN_JOB_STATUSES: readonly string[] = ['dispatched', 'accepted', 'running'];
/** Experiment states that hold an instrument job. */
export const IN_FLIGHT_EXPERIMENT_STATUSES: readonly string[] = ['dispatched', 'accepted', 'running'];

const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const optionalText = (max: number) => text(max).nullish();
const token = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'must be 1-200 of letters, digits, _ . : -');
const count = z.number().int().min(0);
const timestamp = z
  .string()
  .max(64)
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time')
  .nullish();
const instrumentId = z.string().refine(isValidInstrumentId, 'must be 1-64 of [A-Za-z0-9_-] (an instrument id)');
const finite = z.number().finite();
const inRange = (r: { min: number; max: number }) => finite.min(r.min).max(r.max).nullish();

/** A composition checked as on the API's writes; the value stays as the document has it. */
const composition = z.record(z.string(), z.unknown()).superRefine((raw, ctx) => {
  const problems: string[] = [];
  readComposition(raw, problems);
  for (const message of problems) ctx.addIssue({ code: 'custom', message });
}).transform((raw) => raw as Composition);

const prediction = z.record(z.string().regex(/^[A-Za-z]{1,40}$/, 'must be a property name'), z.union([finite, text(2000)])).nullish();

const experiment = z.object({
  id: z.string().min(1).max(200),
  sequence: z.number().int().min(1),
  batchNumber: count,
  status: z.enum(EXPERIMENT_STATUSES),
  composition,
  prediction,
  modelVersionId: z.string().max(200).nullish(),
  currentJobId: z.string().max(200).nullish(),
  instrumentId: instrumentId.nullish(),
  attempts: count.nullish(),
  deadline: timestamp,
  statusReason: optionalText(2000),
  createdAt: timestamp,
  updatedAt: timestamp,
});

const instrumentJob = z.object({
  jobId: z.string().min(1).max(200),
  experimentId: z.string().min(1).max(200),
  instrumentId,
  attempt: z.number().int().min(1).nullish(),
  status: z.enum(JOB_STATUSES),
  stages: z.array(z.string().regex(/^[a-z_]{1,40}$/, `must be a stage name (${STAGES.join(', ')})`)).nullish(),
  dispatchedAt: z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 time'),
  deadline: timestamp,
  lastEventAt: timestamp,
  lastEvent: z.record(z.string(), z.unknown()).nullish(),
  finishedAt: timestamp,
});

const measurement = z.object({
  id: z.string().min(1).max(200),
  experimentId: z.string().max(200).nullish(),
  source: z.enum(MEASUREMENT_SOURCES),
  instrumentId: instrumentId.nullish(),
  jobId: z.string().max(200).nullish(),
  externalId: z.string().regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 printable ASCII characters').nullish(),
  idempotencyKey: token.nullish(),
  name: optionalText(200),
  composition,
  phase: z.enum(PHASES).nullish(),
  isGlass: z.boolean().nullish(),
  yieldStrengthMPa: inRange(PHYSICAL_RANGES.yieldStrengthMPa),
  elongationPct: inRange(PHYSICAL_RANGES.elongationPct),
  extra: z.record(z.string(), z.unknown()).nullish(),
  compositionDeviation: finite.min(0).nullish(),
  flags: z.array(z.string().regex(/^[a-z_]{1,40}$/, 'must be a flag name')).nullish(),
  measuredAt: timestamp,
  enteredBy: optionalText(200),
  revision: z.number().int().min(1).nullish(),
  supersedesId: z.string().max(200).nullish(),
  isCurrent: z.boolean().nullish(),
  createdAt: timestamp,
});

const modelVersion = z.object({
  id: z.string().min(1).max(200),
  version: z.number().int().min(0),
  kind: token,
  features: z.array(text(200)).nullish(),
  seed: z.number().int().nullish(),
  trigger: optionalText(200),
  isActive: z.boolean().nullish(),
  trainingSeconds: finite.min(0).nullish(),
  createdAt: timestamp,
});

const agentCheckpoint = z.object({
  id: z.string().min(1).max(200),
  modelVersionId: z.string().max(200).nullish(),
  iteration: count.nullish(),
  envSteps: count.nullish(),
  createdAt: timestamp,
});

const refinementEvent = z.object({
  id: z.string().min(1).max(200),
  iteration: count.nullish(),
  reason: optionalText(2000),
  correlationBefore: finite.nullish(),
  correlationAfter: finite.nullish(),
  variance: finite.nullish(),
  featuresBefore: z.array(text(200)).nullish(),
  featuresChosen: z.array(text(200)).nullish(),
  rationale: optionalText(20_000),
  provider: optionalText(200),
  accepted: z.boolean().nullish(),
  modelVersionId: z.string().max(200).nullish(),
  createdAt: timestamp,
});

/** What the importer takes from `campaign` besides the settings CreateCampaignDto checks. */
const campaignExtras = z.object({
  status: z.enum(['draft', 'running', 'paused', 'completed', 'aborted']).nullish(),
  createdBy: optionalText(200),
  completionReason: optionalText(2000),
  startedAt: timestamp,
  finishedAt: timestamp,
});

/** Each list of the document and the schema of its rows (unknown keys are kept for the importer). */
export const DOCUMENT_ROWS = {
  experiments: experiment,
  instrumentJobs: instrumentJob,
  measurements: measurement,
  modelVersions: modelVersion,
  agentCheckpoints: agentCheckpoint,
  refinementEvents: refinementEvent,
} as const;

/**
 * Check every row of every list; the problems as `list[i].field: message` (the first 50), so a
 * refused document says where it is wrong.
 */
export function documentRowProblems(doc: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const extras = campaignExtras.safeParse(doc.campaign);
  if (!extras.success) for (const issue of extras.error.issues) problems.push(`campaign${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`);
  for (const [list, schema] of Object.entries(DOCUMENT_ROWS)) {
    const rows = doc[list] ?? [];
    if (!Array.isArray(rows)) {
      problems.push(`${list} must be an array`);
      continue;
    }
    rows.forEach((row, i) => {
      const parsed = schema.safeParse(row);
      if (!parsed.success) for (const issue of parsed.error.issues) problems.push(`${list}[${i}]${issue.path.map((p) => `.${String(p)}`).join('')}: ${issue.message}`);
    });
  }
  return problems.slice(0, 50);
}

/** A checked composition without zero entries, with its formula and element list (the document's own are not trusted). */
export function compositionColumns(c: Composition): { composition: Composition; formula: string; elements: string[] } {
  const composition = Object.fromEntries(Object.entries(c).filter(([, v]) => v > 0));
  return { composition, formula: formatFormula(composition), elements: Object.keys(composition).sort() };
}
