/**
 * Instrument protocol over MQTT, version 1 (see shared/protocol/instrument-mqtt-v1.md), with the
 * backward-compatible minor versions the README documents: 1.1 adds a result's further
 * `properties`, 1.2 adds `process` to `job.dispatch` (the process to use) and to results (the
 * process used). Both are optional and left out when empty, so a 1.0 instrument keeps working for
 * campaigns without process variables; one that cannot honour a dispatch's process answers
 * `job.rejected` with a reason and the job goes to another instrument. 1.3 adds an optional
 * `process` to the status capabilities (what the instrument can make), so the dispatcher sends it
 * only jobs it can make.
 *
 * The only place in the project that knows topic names and payload shapes. Decoders never throw:
 * third-party instruments send whatever they send, and the service must keep a bad message with a
 * reason an operator can act on. Encoders throw, because an invalid outgoing message is our bug.
 *
 * The schemas are strict on purpose (the page says "accept exactly this and nothing looser"):
 * unknown keys are rejected (a `yieldStrengthGPa` field is a unit error, not an extension), times
 * must be UTC with the `Z` designator, and compositions must sum to 100 within 0.05.
 */
import { z } from 'zod';
import type { Composition } from '../../src/core/chemistry/types.js';
import { MAX_CATEGORICAL_VALUES, PROCESS_CATEGORY_PATTERN, PROCESS_NAME_PATTERN, type ProcessSupport } from '../../src/core/domain/process.js';
import { MAX_REPORTED_PROPERTIES, PROPERTY_NAME_PATTERN } from '../../src/core/domain/objectives.js';

export const PROTOCOL_VERSION = 1;
export const DEFAULT_TOPIC_PREFIX = 'aimd/v1';

/** `{instrumentId}`: 1-64 characters of `[A-Za-z0-9_-]`. */
export const INSTRUMENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Compositions must sum to 100 at.% within this tolerance. */
export const COMPOSITION_SUM_TOLERANCE = 0.05;

/** Payloads above this size are rejected before parsing (a status or result is a few hundred bytes). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

/**
 * Plausibility bounds for measured values, in the protocol's units. They catch unit mistakes
 * (GPa sent as MPa gives < 10, a fraction sent as percent cannot be caught) and garbage, not
 * physics; the service applies its own, tighter validation on top.
 */
export const MEASUREMENT_BOUNDS = {
  yieldStrengthMPa: { min: 1, max: 10_000 },
  elongationPct: { min: 0, max: 100 },
} as const;

export const STAGES = ['synthesis', 'mechanical_test'] as const;
export type Stage = (typeof STAGES)[number];

export const INSTRUMENT_STATES = ['online', 'busy', 'error', 'offline'] as const;
export type InstrumentState = (typeof INSTRUMENT_STATES)[number];

export const PHASES = ['amorphous', 'partially_crystalline', 'crystalline'] as const;
export type Phase = (typeof PHASES)[number];

export const CHANNELS = ['status', 'jobs', 'events', 'results'] as const;
export type Channel = (typeof CHANNELS)[number];

export const JOB_MESSAGE_TYPES = ['job.dispatch', 'job.cancel'] as const;
export const EVENT_TYPES = ['job.accepted', 'job.rejected', 'job.started', 'job.progress', 'job.failed'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

// The periodic table: composition keys must be real element symbols, spelled with the right case.
const ELEMENT_SYMBOLS: ReadonlySet<string> = new Set(
  (
    'H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr ' +
    'Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb ' +
    'Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr ' +
    'Rf Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og'
  ).split(' '),
);

export function isElementSymbol(symbol: string): boolean {
  return ELEMENT_SYMBOLS.has(symbol);
}

// ---------------------------------------------------------------------------------------------
// Topics
// ---------------------------------------------------------------------------------------------

export function isValidInstrumentId(id: string): boolean {
  return INSTRUMENT_ID_PATTERN.test(id);
}

/** A prefix is one or more non-empty topic levels without wildcards, e.g. `aimd/v1` or `lab2/aimd/v1`. */
export function validateTopicPrefix(prefix: string): string | null {
  if (prefix.length === 0) return 'topic prefix is empty';
  if (/[+#\u0000]/.test(prefix)) return `topic prefix "${prefix}" contains a wildcard or NUL character`;
  if (prefix.startsWith('$')) return `topic prefix "${prefix}" must not start with "$" (reserved for the broker)`;
  if (prefix.split('/').some((level) => level.length === 0)) {
    return `topic prefix "${prefix}" has an empty level (leading, trailing or double "/")`;
  }
  return null;
}

export type TopicParseResult =
  | { ok: true; instrumentId: string; channel: Channel }
  | { ok: false; reason: string };

/** Topic names for one prefix. Construct once per service or instrument. */
export class InstrumentTopics {
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_TOPIC_PREFIX) {
    const problem = validateTopicPrefix(prefix);
    if (problem) throw new Error(problem);
    this.prefix = prefix;
  }

  /** The concrete topic of one instrument's channel. Throws on an invalid id (a caller bug). */
  topic(instrumentId: string, channel: Channel): string {
    if (!isValidInstrumentId(instrumentId)) {
      throw new Error(`invalid instrumentId "${instrumentId}": expected 1-64 characters of [A-Za-z0-9_-]`);
    }
    return `${this.prefix}/instruments/${instrumentId}/${channel}`;
  }

  status(instrumentId: string): string {
    return this.topic(instrumentId, 'status');
  }

  jobs(instrumentId: string): string {
    return this.topic(instrumentId, 'jobs');
  }

  events(instrumentId: string): string {
    return this.topic(instrumentId, 'events');
  }

  results(instrumentId: string): string {
    return this.topic(instrumentId, 'results');
  }

  /**
   * A subscription filter for one channel of every instrument, optionally as an MQTT 5 shared
   * subscription (`$share/{group}/...`) so several service replicas split the load.
   */
  filter(channel: Channel, options: { shareGroup?: string } = {}): string {
    const filter = `${this.prefix}/instruments/+/${channel}`;
    if (options.shareGroup === undefined) return filter;
    if (!/^[^/+#\u0000]+$/.test(options.shareGroup)) {
      throw new Error(`invalid share group "${options.shareGroup}": must be one level without wildcards`);
    }
    return `$share/${options.shareGroup}/${filter}`;
  }

  /** Splits a received topic into instrument id and channel; anything else is a reasoned failure. */
  parse(topic: string): TopicParseResult {
    const head = `${this.prefix}/instruments/`;
    if (!topic.startsWith(head)) {
      return { ok: false, reason: `topic "${topic}" is not under "${head}"` };
    }
    const rest = topic.slice(head.length).split('/');
    if (rest.length !== 2) {
      return { ok: false, reason: `topic "${topic}" must be ${head}{instrumentId}/{channel}` };
    }
    const [instrumentId, channel] = rest;
    if (!isValidInstrumentId(instrumentId)) {
      return {
        ok: false,
        reason: `topic "${topic}": invalid instrumentId "${instrumentId}" (expected 1-64 characters of [A-Za-z0-9_-])`,
      };
    }
    if (!(CHANNELS as readonly string[]).includes(channel)) {
      return { ok: false, reason: `topic "${topic}": unknown channel "${channel}" (expected ${CHANNELS.join(', ')})` };
    }
    return { ok: true, instrumentId, channel: channel as Channel };
  }
}

// ---------------------------------------------------------------------------------------------
// Field schemas
// ---------------------------------------------------------------------------------------------

const UTC_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?Z$/;

/** Why a string is not an ISO 8601 UTC timestamp, or null when it is one. */
export function utcTimestampProblem(value: string): string | null {
  const m = UTC_TIMESTAMP.exec(value);
  if (!m) {
    return /[+-]\d{2}:?\d{2}$/.test(value) || /T[\d:.]+$/.test(value)
      ? `"${value}" is not UTC: use the "Z" designator, e.g. 2026-11-25T10:00:00Z`
      : `"${value}" is not an ISO 8601 UTC timestamp (YYYY-MM-DDThh:mm:ss[.sss]Z)`;
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  // Date.UTC silently rolls 2026-02-30 over to March; compare the fields back to catch that.
  const t = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  if (
    t.getUTCFullYear() !== year ||
    t.getUTCMonth() !== month - 1 ||
    t.getUTCDate() !== day ||
    t.getUTCHours() !== hour ||
    t.getUTCMinutes() !== minute ||
    t.getUTCSeconds() !== second
  ) {
    return `"${value}" is not a valid calendar date and time`;
  }
  return null;
}

const utcTimestamp = z.string().superRefine((value, ctx) => {
  const problem = utcTimestampProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Ids chosen by the service or the instrument: printable, bounded, no surprises in logs or SQL. */
const identifier = z
  .string()
  .min(1, 'must not be empty')
  .max(128, 'must be at most 128 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const reasonText = z.string().min(1, 'must not be empty').max(1000, 'must be at most 1000 characters');

const stage = z.enum(STAGES, { error: (issue) => `expected one of ${STAGES.join(', ')}, got ${show(issue.input)}` });

const stageList = z
  .array(stage)
  .min(1, 'must list at least one stage')
  .refine((list) => new Set(list).size === list.length, 'must not repeat a stage');

const elementSymbol = z.string().refine(isElementSymbol, {
  error: (issue) => `${show(issue.input)} is not an element symbol`,
});

/** `{element symbol: atomic percent}` summing to 100 within the tolerance. */
const composition = z
  .record(
    elementSymbol,
    z
      .number({ error: (issue) => `expected atomic percent as a number, got ${show(issue.input)}` })
      .min(0, 'atomic percent must be >= 0')
      .max(100, 'atomic percent must be <= 100'),
  )
  .superRefine((value, ctx) => {
    const entries = Object.values(value);
    if (entries.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'composition has no elements' });
      return;
    }
    const sum = entries.reduce((s, v) => s + v, 0);
    // The epsilon absorbs binary floating point (62.4 + 22.6 + ... is not exactly 100).
    if (Math.abs(sum - 100) > COMPOSITION_SUM_TOLERANCE + 1e-9) {
      ctx.addIssue({
        code: 'custom',
        message: `atomic percents sum to ${round(sum, 4)}, expected 100 ± ${COMPOSITION_SUM_TOLERANCE}`,
      });
    }
  });

const measured = (name: keyof typeof MEASUREMENT_BOUNDS, unit: string) =>
  z
    .number({ error: (issue) => `expected a number in ${unit} or null, got ${show(issue.input)}` })
    .min(MEASUREMENT_BOUNDS[name].min, `must be >= ${MEASUREMENT_BOUNDS[name].min} ${unit}`)
    .max(MEASUREMENT_BOUNDS[name].max, `must be <= ${MEASUREMENT_BOUNDS[name].max} ${unit}`)
    .nullable();

/**
 * Further measured properties of a result (protocol 1.1, optional: a 1.0 instrument leaves it
 * out): Dmax (dmaxMm), Tg / Tx / Tl (tgK, txK, tlK), ΔTx (deltaTxK), modulus (modulusGPa) or any
 * property name of 1-64 letters, digits and _ starting with a letter, each a finite number or null.
 */
const propertyValues = z
  .record(
    z.string().regex(PROPERTY_NAME_PATTERN, 'property names are 1-64 letters, digits or _, starting with a letter'),
    z.number({ error: (issue) => `expected a finite number or null, got ${show(issue.input)}` }).nullable(),
  )
  .refine((r) => Object.keys(r).length <= MAX_REPORTED_PROPERTIES, `at most ${MAX_REPORTED_PROPERTIES} properties`)
  .refine((r) => !('yieldStrengthMPa' in r || 'elongationPct' in r), 'yieldStrengthMPa and elongationPct have their own fields');

/**
 * Process values (protocol 1.2, optional: left out for campaigns without process variables, and
 * by 1.0/1.1 instruments): `{name: number | string}`, names as property names, strings 1-64
 * printable characters, at most 16 entries. In `job.dispatch`: the process to use; in a result:
 * the process actually used.
 */
const processName = z.string().regex(PROCESS_NAME_PATTERN, 'process variable names are 1-64 letters, digits or _, starting with a letter');
const processCategory = z.string().regex(PROCESS_CATEGORY_PATTERN, 'must be 1-64 printable characters');
const processValues = z
  .record(
    processName,
    z.union([z.number().refine(Number.isFinite, 'must be finite'), processCategory], {
      error: (issue) => `expected a number or a string, got ${show(issue.input)}`,
    }),
  )
  .refine((r) => Object.keys(r).length <= 16, 'at most 16 process values');

/**
 * What an instrument can make (protocol 1.3, optional in its capabilities): per process variable,
 * the numeric range `{min, max}` or the categorical `{values}` it can make. An instrument that
 * states it is sent only jobs whose process it can make (a variable it does not list, it cannot
 * set); one that does not state it is sent any job and may reject it (1.2).
 */
/** The core's ProcessSupport (src/core/domain/process.ts: processRejection reads it). */
const processSupportSchema: z.ZodType<ProcessSupport> = z
  .record(
    processName,
    z.union(
      [
        z.strictObject({ min: z.number().refine(Number.isFinite, 'must be finite'), max: z.number().refine(Number.isFinite, 'must be finite') }).refine((r) => r.min <= r.max, 'min must be <= max'),
        z.strictObject({ values: z.array(processCategory).min(1, 'at least one value').max(MAX_CATEGORICAL_VALUES, `at most ${MAX_CATEGORICAL_VALUES} values`) }),
      ],
      { error: (issue) => `expected {min, max} or {values: [...]}, got ${show(issue.input)}` },
    ),
  )
  .refine((r) => Object.keys(r).length <= 16, 'at most 16 process variables');


const jsonObject = z.custom<Record<string, unknown>>(
  (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  { error: 'must be a JSON object' },
);

// ---------------------------------------------------------------------------------------------
// Message schemas
// ---------------------------------------------------------------------------------------------

const capabilitiesSchema = z.strictObject({
  stages: stageList,
  elements: z
    .array(elementSymbol)
    .refine((list) => new Set(list).size === list.length, 'must not repeat an element'),
  maxConcurrentJobs: z.number().int('must be an integer').min(1, 'must be >= 1').max(1000, 'must be <= 1000'),
  process: processSupportSchema.optional(),
});

/**
 * Status. Capabilities are required except in the `offline` state: a last will is fixed at
 * connect time and some instruments send a bare `{state: "offline", at}`, which still says all
 * the registry needs.
 */
export const statusSchema = z
  .strictObject({
    state: z.enum(INSTRUMENT_STATES, {
      error: (issue) => `expected one of ${INSTRUMENT_STATES.join(', ')}, got ${show(issue.input)}`,
    }),
    at: utcTimestamp,
    capabilities: capabilitiesSchema.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.state !== 'offline' && value.capabilities === undefined) {
      ctx.addIssue({ code: 'custom', path: ['capabilities'], message: `required when state is "${value.state}"` });
    }
  });

export const jobDispatchSchema = z
  .strictObject({
    type: z.literal('job.dispatch'),
    jobId: identifier,
    experimentId: identifier,
    campaignId: identifier,
    composition,
    stages: stageList,
    process: processValues.optional(),
    issuedAt: utcTimestamp,
    deadline: utcTimestamp,
  })
  .superRefine((value, ctx) => {
    if (Date.parse(value.deadline) <= Date.parse(value.issuedAt)) {
      ctx.addIssue({ code: 'custom', path: ['deadline'], message: 'must be later than issuedAt' });
    }
  });

export const jobCancelSchema = z.strictObject({ type: z.literal('job.cancel'), jobId: identifier });

const eventSchemas = {
  'job.accepted': z.strictObject({ type: z.literal('job.accepted'), jobId: identifier, at: utcTimestamp }),
  'job.rejected': z.strictObject({
    type: z.literal('job.rejected'),
    jobId: identifier,
    reason: reasonText,
    at: utcTimestamp,
  }),
  'job.started': z.strictObject({ type: z.literal('job.started'), jobId: identifier, stage, at: utcTimestamp }),
  'job.progress': z.strictObject({
    type: z.literal('job.progress'),
    jobId: identifier,
    stage,
    fraction: z.number().min(0, 'must be >= 0').max(1, 'must be <= 1 (a fraction, not a percentage)'),
    at: utcTimestamp,
  }),
  'job.failed': z.strictObject({
    type: z.literal('job.failed'),
    jobId: identifier,
    stage,
    reason: reasonText,
    retryable: z.boolean(),
    at: utcTimestamp,
  }),
} as const;

export const eventSchema = z.discriminatedUnion('type', [
  eventSchemas['job.accepted'],
  eventSchemas['job.rejected'],
  eventSchemas['job.started'],
  eventSchemas['job.progress'],
  eventSchemas['job.failed'],
]);

export const resultSchema = z
  .strictObject({
    jobId: identifier,
    measurementId: identifier,
    composition,
    phase: z.enum(PHASES, { error: (issue) => `expected one of ${PHASES.join(', ')}, got ${show(issue.input)}` }),
    yieldStrengthMPa: measured('yieldStrengthMPa', 'MPa'),
    elongationPct: measured('elongationPct', '%'),
    properties: propertyValues.optional(),
    process: processValues.optional(),
    measuredAt: utcTimestamp,
    // Vendor data, stored verbatim. Optional: the page's example has it, but nothing requires it.
    raw: jsonObject.optional(),
  })
  .superRefine((value, ctx) => {
    if (value.phase === 'crystalline') return;
    for (const field of ['yieldStrengthMPa', 'elongationPct'] as const) {
      if (value[field] === null) {
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `may be null only for a crystalline sample (phase is "${value.phase}")`,
        });
      }
    }
  });

export type Capabilities = z.infer<typeof capabilitiesSchema>;
export type StatusMessage = z.infer<typeof statusSchema>;
export type JobDispatch = z.infer<typeof jobDispatchSchema> & { composition: Composition };
export type JobCancel = z.infer<typeof jobCancelSchema>;
export type JobMessage = JobDispatch | JobCancel;
export type InstrumentEvent = z.infer<typeof eventSchema>;
export type JobAccepted = z.infer<(typeof eventSchemas)['job.accepted']>;
export type JobRejected = z.infer<(typeof eventSchemas)['job.rejected']>;
export type JobStarted = z.infer<(typeof eventSchemas)['job.started']>;
export type JobProgress = z.infer<(typeof eventSchemas)['job.progress']>;
export type JobFailed = z.infer<(typeof eventSchemas)['job.failed']>;
export type ResultMessage = z.infer<typeof resultSchema> & { composition: Composition };

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

export type DecodeResult<T> = { ok: true; message: T } | { ok: false; reason: string };

export type Payload = Buffer | Uint8Array | string;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes -> a JSON object, or the reason it is not one. */
function parseJsonObject(payload: Payload): DecodeResult<Record<string, unknown>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size === 0) return { ok: false, reason: 'empty payload' };
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  let text: string;
  if (typeof payload === 'string') {
    text = payload;
  } else {
    try {
      text = utf8.decode(payload);
    } catch {
      return { ok: false, reason: 'payload is not valid UTF-8' };
    }
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: `invalid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: `payload must be a JSON object, got ${describe(value)}` };
  }
  return { ok: true, message: value as Record<string, unknown> };
}

function validate<T>(schema: z.ZodType<T>, value: unknown, what: string): DecodeResult<T> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return { ok: true, message: parsed.data };
  return { ok: false, reason: `${what}: ${formatIssues(parsed.error.issues, value)}` };
}

/** Zod issues as `field.path: what is wrong; ...`, the sentence an operator reads. */
function formatIssues(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      let message = issue.message;
      if (issue.code === 'unrecognized_keys') {
        message = `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      } else if (issue.code === 'invalid_key') {
        // A record key (an element symbol) failed; its own issue says why.
        message = issue.issues.map((inner) => inner.message).join('; ');
      } else if (issue.code !== 'custom' && !hasPath(input, issue.path)) {
        message = 'missing (required)';
      } else if (issue.code === 'invalid_type' && message.startsWith('Invalid input: expected')) {
        message = message.slice('Invalid input: '.length);
      }
      return path ? `${path}: ${message}` : message;
    })
    .join('; ');
}

function hasPath(value: unknown, path: readonly PropertyKey[]): boolean {
  let node = value;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return false;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return true;
}

function checkType(
  value: Record<string, unknown>,
  allowed: readonly string[],
  what: string,
): { ok: true; type: string } | { ok: false; reason: string } {
  if (!('type' in value)) return { ok: false, reason: `${what}: missing field "type" (expected ${allowed.join(' or ')})` };
  const type = value.type;
  if (typeof type !== 'string' || !allowed.includes(type)) {
    return { ok: false, reason: `${what}: unknown type ${show(type)} (expected ${allowed.join(' or ')})` };
  }
  return { ok: true, type };
}

export function decodeStatus(payload: Payload): DecodeResult<StatusMessage> {
  const json = parseJsonObject(payload);
  return json.ok ? validate(statusSchema, json.message, 'status') : json;
}

/** What arrives on the jobs topic: `job.dispatch` or `job.cancel`. */
export function decodeJobMessage(payload: Payload): DecodeResult<JobMessage> {
  const json = parseJsonObject(payload);
  if (!json.ok) return json;
  const type = checkType(json.message, JOB_MESSAGE_TYPES, 'job message');
  if (!type.ok) return type;
  return type.type === 'job.dispatch'
    ? (validate(jobDispatchSchema, json.message, 'job.dispatch') as DecodeResult<JobMessage>)
    : validate(jobCancelSchema, json.message, 'job.cancel');
}

export function decodeEvent(payload: Payload): DecodeResult<InstrumentEvent> {
  const json = parseJsonObject(payload);
  if (!json.ok) return json;
  const type = checkType(json.message, EVENT_TYPES, 'event');
  if (!type.ok) return type;
  // The type was checked above, so its own schema gives the precise reason (not the union's).
  const schema: z.ZodType<InstrumentEvent> = eventSchemas[type.type as EventType];
  return validate(schema, json.message, type.type);
}

export function decodeResult(payload: Payload): DecodeResult<ResultMessage> {
  const json = parseJsonObject(payload);
  if (!json.ok) return json;
  const result = validate(resultSchema, json.message, 'result');
  if (!result.ok) return result;
  // Keep the vendor's object itself, not zod's copy (which would also drop a "__proto__" key).
  if (json.message.raw !== undefined) result.message.raw = json.message.raw as Record<string, unknown>;
  return result as DecodeResult<ResultMessage>;
}

/**
 * The jobId of a payload that may have failed validation, when it carries a well-formed one:
 * lets an instrument answer a malformed dispatch with job.rejected, and lets the service file a
 * bad event or result under its job.
 */
export function peekJobId(payload: Payload): string | null {
  const json = parseJsonObject(payload);
  if (!json.ok) return null;
  const parsed = identifier.safeParse(json.message.jobId);
  return parsed.success ? parsed.data : null;
}

export type InstrumentMessage =
  | { channel: 'status'; instrumentId: string; message: StatusMessage }
  | { channel: 'jobs'; instrumentId: string; message: JobMessage }
  | { channel: 'events'; instrumentId: string; message: InstrumentEvent }
  | { channel: 'results'; instrumentId: string; message: ResultMessage };

/**
 * Topic and payload together, as they come off the broker. The failure keeps the instrument id
 * and channel when the topic was fine, so a bad payload can be filed under its instrument.
 */
export function decodeInstrumentMessage(
  topics: InstrumentTopics,
  topic: string,
  payload: Payload,
): { ok: true; message: InstrumentMessage } | { ok: false; reason: string; instrumentId?: string; channel?: Channel } {
  const parsed = topics.parse(topic);
  if (!parsed.ok) return parsed;
  const { instrumentId, channel } = parsed;
  const decoded = decoders[channel](payload);
  if (!decoded.ok) return { ok: false, reason: decoded.reason, instrumentId, channel };
  return { ok: true, message: { channel, instrumentId, message: decoded.message } as InstrumentMessage };
}

const decoders: Record<Channel, (payload: Payload) => DecodeResult<unknown>> = {
  status: decodeStatus,
  jobs: decodeJobMessage,
  events: decodeEvent,
  results: decodeResult,
};

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

export class ProtocolEncodeError extends Error {
  override name = 'ProtocolEncodeError';
}

function encode<T>(schema: z.ZodType<T>, message: T, what: string): string {
  const checked = validate(schema, message, what);
  if (!checked.ok) throw new ProtocolEncodeError(checked.reason);
  // Serialise what the caller gave (not zod's copy) so `raw` goes out exactly as handed in.
  return JSON.stringify(message);
}

export function encodeStatus(message: StatusMessage): string {
  return encode(statusSchema, message, 'status');
}

export function encodeJobDispatch(message: Omit<JobDispatch, 'type'> & { type?: 'job.dispatch' }): string {
  return encode(jobDispatchSchema, { ...message, type: 'job.dispatch' }, 'job.dispatch');
}

export function encodeJobCancel(jobId: string): string {
  return encode(jobCancelSchema, { type: 'job.cancel', jobId }, 'job.cancel');
}

export function encodeEvent(message: InstrumentEvent): string {
  return encode(eventSchema, message, message.type ?? 'event');
}

export function encodeResult(message: ResultMessage): string {
  return encode(resultSchema, message, 'result');
}

/** Now as the protocol writes times: ISO 8601 UTC with milliseconds. */
export function utcNow(now: Date = new Date()): string {
  return now.toISOString();
}

// ---------------------------------------------------------------------------------------------

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (value === undefined) return 'nothing';
  return describe(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `a string`;
  return `${typeof value} ${String(value)}`;
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
