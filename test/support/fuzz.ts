/**
 * Bad-input fuzzing with fast-check, shared by `test/integration/fuzz.test.ts` and
 * `npm run bench:faults`: generated bad payloads at the REST endpoints (junk bodies, payloads made
 * invalid by one mutation of a valid one, hostile path ids and query strings, SQL injection,
 * oversized bodies) and at the MQTT topics (malformed JSON, wrong types, huge numbers, unicode,
 * invalid UTF-8, oversized, bad instrument ids). The service must stay up, answer 4xx (never 5xx)
 * or keep the message in the rejected store, and leave the stored data as it was.
 */
import fc from 'fast-check';
import pg from 'pg';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import { InstrumentTopics } from '../../adapters/mqtt/protocol.js';
import { api, demoCampaign, seedRows, until, type ScenarioResult } from './faults.js';
import { ADMIN_KEY } from './faults.js';
import { MACHINE_MQTT, machineDatabase, startService, unique, type ServiceProcess } from './processes.js';

export const DEFAULT_FUZZ_RUNS = 250;
/** The properties that are attacks of issue 17 (what bench:faults counts as attacks tried and held). */
export const ATTACK_PROPERTIES = ['campaign documents with one hostile row field', 'replay payloads'] as const;
const BODY_LIMIT = 64 * 1024;

const SQLI = [
  `'; DROP TABLE measurement; --`,
  `' OR '1'='1`,
  `1; DELETE FROM campaign WHERE '1'='1`,
  `" OR ""="`,
  `Robert'); DROP TABLE experiment;--`,
  `' UNION SELECT key_hash, null FROM api_key --`,
  `1' AND pg_sleep(5)--`,
  `$$; TRUNCATE audit_event; $$`,
  `\\'; COPY campaign TO '/tmp/x'; --`,
  `%' OR 1=1 --`,
  `admin'--`,
  `0x27 OR 1=1`,
  `'); SELECT pg_terminate_backend(pid) FROM pg_stat_activity; --`,
];

const unicode = fc.string({ unit: 'grapheme', maxLength: 40 });
const anyString = fc.oneof(fc.string({ maxLength: 40 }), unicode, fc.constantFrom(...SQLI), fc.string({ unit: 'binary', maxLength: 30 }));
const notString = fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double(), fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 2 }));
const notNumber = fc.oneof(fc.constant(null), fc.boolean(), anyString, fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }));
/** Marks a raw JSON number token JSON.stringify cannot write (1e400 parses to Infinity); see toJson. */
const RAW = '\u0000raw:';

function outOfRange(min: number, max: number, integer: boolean) {
  return fc.oneof(
    fc.double({ max: min, noNaN: true }).filter((v) => v < min),
    fc.double({ min: max, noNaN: true }).filter((v) => v > max),
    integer ? fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).filter((v) => !Number.isInteger(v)) : fc.constant(min - 1),
    fc.constantFrom(`${RAW}1e400`, `${RAW}-1e400`, `${RAW}123456789012345678901234567890`),
    notNumber,
  );
}
const badString = (maxLength: number, pattern?: RegExp) =>
  fc.oneof(notString, fc.string({ minLength: maxLength + 1, maxLength: maxLength + 50 }), ...(pattern ? [anyString.filter((s) => !pattern.test(s))] : []));

/** JSON with raw number tokens substituted (so `1e400` reaches the server as written). */
function toJson(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000raw:([^"]*)"/g, '$1');
}

type Mutation = [path: string[], value: fc.Arbitrary<unknown>];
/** Not null once in JSON (JSON.stringify writes NaN and ±Infinity as null): IsOptional takes null as absent. */
const notNull = (v: unknown) => v !== null && !(typeof v === 'number' && !Number.isFinite(v));

function setPath(obj: any, path: string[], value: unknown, remove = false): any {
  const copy = structuredClone(obj);
  let cur = copy;
  for (const key of path.slice(0, -1)) cur = cur[key];
  if (remove) delete cur[path.at(-1)!];
  else cur[path.at(-1)!] = value;
  return copy;
}

/** A valid body with exactly one thing made invalid: a bad value, a missing required field or an unknown field. */
function mutated(valid: Record<string, unknown>, mutations: Mutation[], required: string[][]): fc.Arbitrary<string> {
  return fc.oneof(
    fc.oneof(...mutations.map(([path, arb]) => arb.map((v) => toJson(setPath(valid, path, v))))),
    ...(required.length > 0 ? [fc.constantFrom(...required).map((path) => toJson(setPath(valid, path, undefined, true)))] : []),
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 1 })).map(([k, v]) => toJson({ ...valid, [`zz_${k}`]: v })),
  );
}

const campaignMutations: Mutation[] = [
  [['name'], badString(200)],
  [['description'], badString(5000).filter(notNull)],
  [['budget'], outOfRange(1, 100000, true)],
  [['batchSize'], outOfRange(1, 1000, true)],
  [['seed'], outOfRange(0, 2147483647, true).filter(notNull)],
  [['designSpace', 'step'], outOfRange(0.01, 50, false)],
  [['designSpace', 'minElements'], outOfRange(1, 20, true)],
  [['designSpace', 'elements'], fc.oneof(notNumber.filter((v) => !Array.isArray(v)), fc.constant([]), fc.constant([{ symbol: 'zr', min: 0, max: 10 }, { symbol: 'Cu', min: 0, max: 10 }]))],
  [['designSpace', 'baseElement'], badString(2, /^[A-Z][a-z]?$/).filter(notNull)],
  [['objectives', 'requireGlass'], fc.oneof(fc.constant('true'), fc.integer(), fc.constant(null), anyString)],
  [['objectives', 'targets'], fc.oneof(fc.constant([{ property: 'hard ness', threshold: 1, weight: 1 }]), fc.constant([{ property: 'tlK', direction: 'atMost', weight: 1 }]), fc.constant([{ property: 'elongationPct', threshold: -5, weight: 1 }]), notNumber.filter((v) => !Array.isArray(v)))],
  [['strategy'], fc.oneof(fc.constant({ method: 'gradient-descent' }), fc.constant({ episodesPerIteration: 0 }), fc.constant({ tepShare: 2 }))],
  [['approvalRequired'], fc.oneof(fc.constant('yes'), fc.integer(), anyString)],
  [['strategy'], fc.oneof(fc.constant('random'), fc.integer(), fc.constant([]))],
];
const entry = { phase: 'amorphous', yieldStrengthMPa: 1700, elongationPct: 5, measuredAt: '2026-11-25T12:00:00Z', notes: 'fuzz' };
const entryMutations: Mutation[] = [
  [['phase'], fc.oneof(notString, anyString.filter((s) => !['amorphous', 'partially_crystalline', 'crystalline'].includes(s)))],
  [['yieldStrengthMPa'], outOfRange(0, 10000, false).filter(notNull)],
  [['elongationPct'], outOfRange(0, 100, false).filter(notNull)],
  [['measuredAt'], fc.oneof(notString.filter(notNull), fc.constantFrom('yesterday', '2026-13-01T00:00:00Z', '2026-02-30', ...SQLI))],
  [['notes'], badString(2000).filter(notNull)],
  [['composition'], fc.oneof(fc.constant([]), fc.integer(), anyString)],
  // further properties and process values: names the campaign does not know, values that are not finite numbers or legal values
  [['properties'], fc.oneof(fc.constant([]), fc.integer(), anyString, fc.constant({ vickers: 1 }), fc.constant({ dmaxMm: 'thick' }), fc.constant({ tgK: -1 }), fc.constant({ yieldStrengthMPa: 1 }), fc.constant({ "'; DROP TABLE measurement; --": 1 }), fc.constant({ dmaxMm: { a: 1 } }))],
  [['process'], fc.oneof(fc.constant([]), fc.integer(), anyString, fc.constant({ coolingMethod: 'furnace' }), fc.constant({ castingDiameterMm: Number.MAX_VALUE }), fc.constant({ x: null }))],
];
/** PATCH bodies: every field optional, so null (= leave as is) is not a bad value there. */
const patchMutations: Mutation[] = campaignMutations
  .filter(([p]) => ['name', 'budget', 'batchSize', 'seed', 'description', 'approvalRequired'].includes(p[0]))
  .map(([p, arb]) => [p, arb.filter(notNull)]);
const apiKeyValid = { name: 'fuzz.key', role: 'viewer' };
const apiKeyMutations: Mutation[] = [
  [['name'], badString(100, /^[A-Za-z0-9 _.@:+-]{1,100}$/)],
  [['role'], fc.oneof(notString, anyString.filter((s) => !['admin', 'pi', 'technician', 'instrument', 'viewer'].includes(s)))],
  [['campaignIds'], fc.oneof(fc.array(anyString, { minLength: 1, maxLength: 3 }), anyString, fc.integer())],
  [['expiresAt'], fc.oneof(fc.constantFrom('tomorrow', '2026-99-99', ...SQLI), fc.integer(), fc.boolean())],
];

/** Bodies that are not a valid request anywhere: malformed JSON, scalars, unknown keys only, deep nesting. */
const junkBody: fc.Arbitrary<{ body: string | Buffer; type: string }> = fc.oneof(
  fc.string({ maxLength: 60 }).map((s) => ({ body: `{"name": ${s},,}`, type: 'application/json' })),
  fc.constantFrom('{"name":"nul\\u0000"}', '{"a\\u0000":1}', '{', '[1,', '{"a":}', 'nul', '{"x": 1}}', "{'single': 1}", '\u0000', '{"__proto__": {"admin": true}}x').map((body) => ({ body, type: 'application/json' })),
  fc.oneof(fc.constant('null'), fc.constant('true'), fc.constant('42'), fc.constant('"text"'), fc.constant('1e400')).map((body) => ({ body, type: 'application/json' })),
  fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }).map((k) => `zz_${k}`), fc.jsonValue({ maxDepth: 2 }), { minKeys: 1, maxKeys: 4 }).map((o) => ({ body: JSON.stringify(o), type: 'application/json' })),
  fc.integer({ min: 2000, max: 20000 }).map((depth) => ({ body: `${'['.repeat(depth)}${']'.repeat(depth)}`, type: 'application/json' })),
  fc.integer({ min: 2000, max: 20000 }).map((depth) => ({ body: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, type: 'application/json' })),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ body: Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from([0xff]), Buffer.from('"}')]), type: 'application/json' })),
  fc.constant({ body: `{"name":"${'x'.repeat(BODY_LIMIT + 10)}"}`, type: 'application/json' }),
  fc.constantFrom('application/xml', 'text/html', 'application/x-www-form-urlencoded').map((type) => ({ body: '<a>1</a>', type })),
);

const hostileId = fc.oneof(
  fc.constantFrom(...SQLI),
  fc.uuid(),
  fc.string({ maxLength: 30 }).filter((s) => s.length > 0),
  unicode.filter((s) => s.length > 0),
  fc.constant('x'.repeat(5000)),
  fc.constantFrom('..', '../../etc/passwd', '%00', '\u0000', 'a\u0000b', 'null', 'undefined', '00000000-0000-0000-0000-000000000000'),
).filter((s) => {
  try {
    encodeURIComponent(s);
    return s !== '.' && s !== '..';
  } catch {
    return false;
  }
});

interface Fixture {
  campaignId: string;
  draftId: string;
  gatedId: string;
  experimentId: string;
  proposedId: string;
  measurementId: string;
  apiKeyId: string;
  /** The running campaign as exported (with artifacts): the import fuzzer's valid document. */
  document: Record<string, any>;
  /** A pending rejected result of instrument fuzz-rig, which holds a job of the running campaign: the replay fuzzer's target. */
  rejectedId: string;
  jobId: string;
  /** Checksum of the fixture campaigns' rows and the count of their audit events. */
  fixtureSum: string;
  fixtureAudit: number;
}

const TABLES = ['campaign', 'experiment', 'measurement', 'instrument_job', 'audit_event', 'model_version', 'agent_checkpoint', 'instrument', 'instrument_credential'];

/** Count and checksum of every row of the tables that hold the lab's data. */
async function snapshot(db: pg.Client): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of TABLES) {
    const [row] = (await db.query(`SELECT count(*)::int AS n, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS sum FROM ${t} t`)).rows;
    out[t] = `${row.n} rows, md5 ${row.sum}`;
  }
  out.api_key = `${(await db.query(`SELECT count(*)::int AS n FROM api_key`)).rows[0].n} rows`;
  return out;
}

async function fixture(base: string, db: pg.Client, prefix: string): Promise<Fixture> {
  const ok = <R extends { status: number; text: string }>(r: R, what: string): R => {
    if (r.status >= 300) throw new Error(`${what}: ${r.status} ${r.text}`);
    return r;
  };
  const running = ok(await api(base, 'POST', '/api/v1/campaigns', demoCampaign({ name: 'fuzz running', budget: 8, batchSize: 4 })), 'campaign');
  const campaignId = running.body.id;
  ok(await api(base, 'POST', `/api/v1/campaigns/${campaignId}/measurements/import`, seedRows(20)), 'import');
  ok(await api(base, 'POST', `/api/v1/campaigns/${campaignId}/start`), 'start');
  const gated = ok(await api(base, 'POST', '/api/v1/campaigns', demoCampaign({ name: 'fuzz gated', budget: 8, batchSize: 4, approvalRequired: true })), 'gated');
  ok(await api(base, 'POST', `/api/v1/campaigns/${gated.body.id}/measurements/import`, seedRows(20)), 'import gated');
  ok(await api(base, 'POST', `/api/v1/campaigns/${gated.body.id}/start`), 'start gated');
  const draft = ok(await api(base, 'POST', '/api/v1/campaigns', demoCampaign({ name: 'fuzz draft' })), 'draft');
  const queued = await until('proposals of the running campaign', async () => {
    const items = (await api(base, 'GET', `/api/v1/campaigns/${campaignId}/experiments`)).body.items;
    return items?.length >= 2 ? items : null;
  }, 60_000);
  const proposed = await until('proposals waiting for approval', async () => {
    const items = (await api(base, 'GET', `/api/v1/campaigns/${gated.body.id}/experiments?status=proposed`)).body.items;
    return items?.length >= 1 ? items : null;
  }, 60_000);
  const entered = ok(await api(base, 'POST', `/api/v1/experiments/${queued[0].id}/measurements`, entry), 'entry');
  const key = ok(await api(base, 'POST', '/api/v1/api-keys', { name: 'fuzz target', role: 'viewer' }), 'key');
  // A job of the running campaign held by instrument fuzz-rig (far deadline), and a pending rejected
  // result of that instrument: replays with any payload must write nothing (the admin is not fuzz-rig).
  const [{ job_id: jobId }] = (await db.query(
    `INSERT INTO instrument_job (experiment_id, campaign_id, instrument_id, attempt, status, stages, dispatched_at, deadline)
     VALUES ($1, $2, 'fuzz-rig', 1, 'dispatched', '{synthesis,mechanical_test}', now(), now() + interval '7 days') RETURNING job_id`,
    [queued[1].id, campaignId],
  )).rows;
  const [{ id: rejectedId }] = (await db.query(
    `INSERT INTO rejected_message (channel, topic, instrument_id, payload, reason) VALUES ('mqtt', $1, 'fuzz-rig', '{}', 'fuzz fixture') RETURNING id`,
    [`${prefix}/instruments/fuzz-rig/results`],
  )).rows;
  // Let the design iterations the fixture caused finish, so nothing moves during the fuzzing.
  await until('background jobs settled', async () => {
    const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM background_job WHERE state IN ('queued','running')`)).rows;
    return n === 0;
  }, 60_000, 200);
  await new Promise((r) => setTimeout(r, 500));
  const ids = [campaignId, draft.body.id, gated.body.id];
  const document = (await api(base, 'GET', `/api/v1/campaigns/${campaignId}/export/campaign.json?artifacts=true`)).body as Record<string, any>;
  return {
    campaignId, draftId: draft.body.id, gatedId: gated.body.id, experimentId: queued[1].id, proposedId: proposed[0].id,
    measurementId: entered.body.measurement.id, apiKeyId: key.body.id, document, rejectedId, jobId,
    fixtureSum: (await db.query(`SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum FROM campaign t WHERE id = ANY($1::uuid[])`, [ids])).rows[0].sum,
    fixtureAudit: (await db.query(`SELECT count(*)::int AS n FROM audit_event WHERE campaign_id = ANY($1::uuid[])`, [ids])).rows[0].n,
  };
}

interface Case {
  method: string;
  path: string;
  body?: string | Buffer;
  type?: string;
  /** 'bad': must be a 4xx. 'any': anything but a 5xx (reads with odd parameters may well be fine). */
  expect: 'bad' | 'any';
}

async function send(base: string, c: Case): Promise<{ status: number; text: string; contentType: string }> {
  const res = await fetch(`${base}${c.path}`, {
    method: c.method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(c.body === undefined ? {} : { 'content-type': c.type ?? 'application/json' }) },
    body: c.body,
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, text: await res.text(), contentType: res.headers.get('content-type') ?? '' };
}

function restCases(f: Fixture): Record<string, fc.Arbitrary<Case>> {
  const validCampaign = demoCampaign({ name: 'never stored' });
  const json = (method: string, path: string, body: fc.Arbitrary<string>): fc.Arbitrary<Case> => body.map((b) => ({ method, path, body: b, expect: 'bad' as const }));
  const endpoints: [string, string][] = [
    ['POST', '/api/v1/campaigns'],
    ['PATCH', `/api/v1/campaigns/${f.draftId}`],
    ['POST', `/api/v1/campaigns/${f.campaignId}/pause`],
    ['POST', `/api/v1/campaigns/${f.draftId}/start`],
    ['POST', '/api/v1/campaigns/import'],
    ['POST', `/api/v1/campaigns/${f.campaignId}/measurements/import`],
    ['POST', `/api/v1/experiments/${f.experimentId}/measurements`],
    ['POST', `/api/v1/campaigns/${f.campaignId}/results`],
    ['POST', `/api/v1/measurements/${f.measurementId}/corrections`],
    ['POST', `/api/v1/experiments/${f.proposedId}/approve`],
    ['POST', `/api/v1/experiments/${f.proposedId}/reject`],
    ['PATCH', `/api/v1/experiments/${f.proposedId}`],
    ['POST', `/api/v1/experiments/${f.proposedId}/cancel`],
    ['POST', '/api/v1/api-keys'],
    ['PATCH', `/api/v1/api-keys/${f.apiKeyId}`],
  ];
  return {
    'junk bodies at every write endpoint': fc
      .tuple(fc.constantFrom(...endpoints), junkBody)
      .map(([[method, path], b]) => ({ method, path, body: b.body, type: b.type, expect: 'bad' as const })),
    'one-field mutations of valid bodies': fc.oneof(
      json('POST', '/api/v1/campaigns', mutated(validCampaign, campaignMutations, [['name'], ['designSpace'], ['objectives'], ['budget'], ['batchSize']])),
      json('PATCH', `/api/v1/campaigns/${f.draftId}`, mutated({ name: 'renamed', budget: 20 }, patchMutations, [])),
      json('POST', `/api/v1/experiments/${f.experimentId}/measurements`, mutated(entry, entryMutations, [['phase']])),
      json('POST', `/api/v1/measurements/${f.measurementId}/corrections`, mutated({ ...entry, reason: 'fuzz' }, [...entryMutations, [['reason'], badString(1000)]], [['reason'], ['phase']])),
      json('POST', '/api/v1/api-keys', mutated(apiKeyValid, apiKeyMutations, [['name'], ['role']])),
      json('POST', `/api/v1/experiments/${f.proposedId}/reject`, mutated({ reason: 'fuzz' }, [[['reason'], badString(1000)]], [['reason']])),
      json('PATCH', `/api/v1/experiments/${f.proposedId}`, mutated({ composition: { Zr: 60, Cu: 30, Al: 10 } }, [[['composition'], fc.oneof(notNumber.filter((v) => typeof v !== 'object' || v === null || Array.isArray(v)), fc.constant({ Zr: 'sixty' }), fc.constant({ Zr: 1e308, Cu: -1e308 }), fc.constant({ "'; DROP TABLE experiment; --": 100 }), fc.constant({ Zr: 50 }))]], [['composition']])),
      fc.array(fc.record({ composition: fc.oneof(anyString, fc.constant({ Zr: 'x' }), fc.constant(null)), phase: anyString, yieldStrengthMPa: notNumber }), { minLength: 1, maxLength: 5 }).map((rows) => ({
        method: 'POST', path: `/api/v1/campaigns/${f.campaignId}/measurements/import?strict=true`, body: JSON.stringify(rows), expect: 'bad' as const,
      })),
      fc.array(fc.tuple(anyString, anyString, anyString), { minLength: 1, maxLength: 5 }).map((rows) => ({
        method: 'POST', path: `/api/v1/campaigns/${f.campaignId}/measurements/import?strict=true`, type: 'text/csv',
        body: `composition,phase,yieldStrengthMPa\n${rows.map((r) => r.map((v) => JSON.stringify(v.replace(/[\r\n]/g, ' '))).join(',')).join('\n')}\n`, expect: 'bad' as const,
      })),
      fc.array(fc.tuple(fc.oneof(anyString, fc.integer({ min: 1000 })), anyString, anyString), { minLength: 1, maxLength: 5 }).map((rows) => ({
        method: 'POST', path: `/api/v1/campaigns/${f.campaignId}/results?strict=true`, type: 'text/csv',
        body: `experiment,phase,yieldStrengthMPa,elongationPct\n${rows.map(([e, p, y]) => [e, JSON.stringify(String(p).replace(/[\r\n]/g, ' ')), JSON.stringify(String(y).replace(/[\r\n]/g, ' ')), 'x'].join(',')).join('\n')}\n`, expect: 'any' as const,
      })),
    ),
    // issue 17: an imported document goes through the API's own checks; any hostile row is a 400 and stores nothing
    'campaign documents with one hostile row field': fc
      .tuple(
        fc.constantFrom('experiments', 'measurements'),
        fc.oneof(
          fc.tuple(fc.constant('composition'), anyString.filter((k) => !/^[A-Z][a-z]?$/.test(k)).map((k) => ({ [k]: 60, Cu: 40 }))),
          fc.tuple(fc.constant('composition'), fc.oneof(anyString, notNumber.filter((v) => typeof v !== 'number')).map((v) => ({ Zr: v, Cu: 40 }))),
          fc.tuple(fc.constant('instrumentId'), anyString.filter((v) => !/^[A-Za-z0-9_-]{1,64}$/.test(v))),
          // (no NaN or Infinity: JSON writes them as null, a valid value)
          fc.tuple(fc.constantFrom('sequence', 'phase', 'status', 'source'), fc.oneof(anyString.filter((v) => !/^[a-z_]+$/.test(v)), fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }))),
        ),
      )
      .filter(([list, [field]]) => !(list === 'experiments' && (field === 'phase' || field === 'source')) && !(list === 'measurements' && (field === 'sequence' || field === 'status')))
      .map(([list, [field, value]]) => {
        const doc = structuredClone(f.document);
        doc[list][0][field] = value;
        return { method: 'POST', path: '/api/v1/campaigns/import', body: JSON.stringify(doc), expect: 'bad' as const };
      }),
    // issue 17: a replay writes nothing the key may not write (the admin is not instrument fuzz-rig); no 5xx
    'replay payloads': fc
      .oneof(
        // results the protocol accepts, for the job fuzz-rig holds: each one is refused (403), none stored
        {
          weight: 3,
          arbitrary: fc.record({
            jobId: fc.constant(f.jobId), measurementId: fc.stringMatching(/^[a-z0-9-]{1,20}$/), composition: fc.constant({ Zr: 60, Cu: 30, Al: 10 }),
            phase: fc.constantFrom('amorphous', 'partially_crystalline'), yieldStrengthMPa: fc.integer({ min: 1, max: 9000 }), elongationPct: fc.integer({ min: 0, max: 90 }),
            measuredAt: fc.constant('2026-11-25T18:30:00Z'),
          }).map((r) => JSON.stringify(r)),
        },
        { weight: 1, arbitrary: anyString },
        {
          weight: 1,
          arbitrary: fc.record({ jobId: fc.oneof(fc.constant(f.jobId), anyString), measurementId: anyString, phase: anyString, yieldStrengthMPa: notNumber }).map((r) => JSON.stringify(r)),
        },
      )
      .map((payload) => ({ method: 'POST', path: `/api/v1/rejected-messages/${f.rejectedId}/replay`, body: JSON.stringify({ payload }), expect: 'any' as const })),
    'hostile ids in paths': fc
      .tuple(
        hostileId,
        fc.constantFrom(
          ['GET', '/api/v1/campaigns/:id'], ['PATCH', '/api/v1/campaigns/:id'], ['POST', '/api/v1/campaigns/:id/start'], ['POST', '/api/v1/campaigns/:id/:id'],
          ['GET', '/api/v1/campaigns/:id/measurements'], ['GET', '/api/v1/experiments/:id'], ['POST', '/api/v1/experiments/:id/measurements'],
          ['POST', '/api/v1/experiments/:id/approve'], ['GET', '/api/v1/measurements/:id/history'], ['POST', '/api/v1/measurements/:id/corrections'],
          ['PATCH', '/api/v1/api-keys/:id'], ['DELETE', '/api/v1/api-keys/:id'], ['GET', '/api/v1/instruments/:id'], ['GET', '/api/v1/instruments/:id/credentials'],
          ['DELETE', '/api/v1/instruments/:id/credentials'], ['POST', '/api/v1/rejected-messages/:id/replay'], ['GET', '/api/v1/jobs/:id'], ['GET', '/api/v1/campaigns/:id/export/:id'],
        ),
      )
      .map(([id, [method, path]]) => ({
        method, path: path.replaceAll(':id', encodeURIComponent(id)),
        body: method === 'GET' || method === 'DELETE' ? undefined : JSON.stringify(path.includes('corrections') || path.endsWith('measurements') ? { ...entry, reason: 'x' } : {}),
        // a well-formed body for an id that does not exist: 404 (or 400 for a malformed id)
        expect: 'bad' as const,
      })),
    'hostile query strings': fc
      .tuple(
        fc.constantFrom(
          '/api/v1/campaigns?q=:v', '/api/v1/campaigns?status=:v', '/api/v1/campaigns?limit=:v&offset=:v', `/api/v1/campaigns/${f.campaignId}/measurements?element=:v`,
          `/api/v1/campaigns/${f.campaignId}/measurements?glass=:v&source=:v`, `/api/v1/campaigns/${f.campaignId}/experiments?status=:v`, '/api/v1/rejected-messages?channel=:v&status=:v',
          `/api/v1/rejected-messages?campaignId=:v`, `/api/v1/campaigns/${f.campaignId}/audit?limit=:v`, `/api/v1/jobs?campaignId=:v`, `/api/v1/campaigns/${f.campaignId}/export/measurements.csv?revisions=:v`,
        ),
        fc.oneof(anyString, fc.constantFrom('\u0000', 'a\u0000', '-1', '1e400', '99999999999999999999', 'NaN', '[]', '{}', 'x'.repeat(3000))),
      )
      .filter(([, v]) => {
        try {
          encodeURIComponent(v);
          return true;
        } catch {
          return false;
        }
      })
      .map(([path, v]) => ({ method: 'GET', path: path.replaceAll(':v', encodeURIComponent(v)), expect: 'any' as const })),
  };
}

/** MQTT: [topic, payload, delivered to the service?] */
function mqttCases(topics: InstrumentTopics): fc.Arbitrary<{ topic: string; payload: Buffer; delivered: boolean }> {
  const goodId = fc.stringMatching(/^fz[A-Za-z0-9_-]{1,20}$/);
  const badId = fc.oneof(fc.constantFrom('a b', 'x!', 'rig;DROP', 'x'.repeat(65), 'ünïcødé', "o'neil", '%00'), unicode.filter((s) => s.length > 0 && !/[/+#\u0000]/.test(s) && !/^[A-Za-z0-9_-]{1,64}$/.test(s)));
  const channel = fc.constantFrom('status', 'events', 'results');
  const validResult = {
    jobId: '8f0c0000-0000-4000-8000-000000000001', measurementId: 'fz-1', composition: { Zr: 60, Cu: 30, Al: 10 }, phase: 'amorphous',
    yieldStrengthMPa: 1700, elongationPct: 3, measuredAt: '2026-11-25T18:30:00Z',
  };
  const payload: fc.Arbitrary<Buffer> = fc.oneof(
    fc.string({ maxLength: 80 }).map((s) => Buffer.from(`{"jobId": ${s}`)),
    fc.constantFrom('{"jobId":"a\u0000b"}', '{"jobId":"a\\u0000b"}', '', '{', 'null', '[]', '42', '"x"', '{"state":"online"}', '{"type":"job.exploded","jobId":"x","at":"2026-11-25T18:30:00Z"}').map((s) => Buffer.from(s)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    mutated(validResult, [
      [['jobId'], fc.oneof(notString, fc.constantFrom(...SQLI), fc.string({ minLength: 129, maxLength: 140 }))],
      [['composition'], fc.oneof(fc.constant({ Zr: 1e308, Cu: -1e308 }), fc.constant({ zr: 100 }), fc.constant({ Zr: '100' }), fc.constant({}), notNumber)],
      [['yieldStrengthMPa'], outOfRange(1, 10000, false).filter(notNull)],
      [['elongationPct'], outOfRange(0, 100, false).filter(notNull)],
      [['phase'], anyString.filter((s) => !['amorphous', 'partially_crystalline', 'crystalline'].includes(s))],
      [['measuredAt'], fc.constantFrom('2026-11-25T18:30:00+01:00', 'now', '2026-02-30T00:00:00Z')],
      [['raw'], fc.oneof(fc.constant([]), anyString, fc.integer())],
    ], [['jobId'], ['measurementId'], ['composition']]).map((s) => Buffer.from(s)),
    // well-formed, but for a job nobody dispatched (SQL in the ids)
    fc.constantFrom(...SQLI).map((s) => Buffer.from(JSON.stringify({ ...validResult, measurementId: s.replace(/\s/g, '').slice(0, 120) || 'x' }))),
    fc.constantFrom(...SQLI).map((s) => Buffer.from(JSON.stringify({ type: 'job.accepted', jobId: s.replace(/\s/g, ''), at: '2026-11-25T18:30:00Z' }))),
    fc.uint8Array({ minLength: 1, maxLength: 50 }).map((b) => Buffer.concat([Buffer.from('{"jobId":"'), Buffer.from(b), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])),
    fc.constant(Buffer.from(JSON.stringify({ ...validResult, raw: { blob: 'x'.repeat(300 * 1024) } }))),
  );
  return fc.oneof(
    { weight: 8, arbitrary: fc.tuple(goodId, channel, payload).map(([id, ch, p]) => ({ topic: `${topics.prefix}/instruments/${id}/${ch}`, payload: p, delivered: true })) },
    { weight: 1, arbitrary: fc.tuple(badId, channel, payload).map(([id, ch, p]) => ({ topic: `${topics.prefix}/instruments/${id}/${ch}`, payload: p, delivered: true })) },
    // topics the service does not subscribe to: never delivered, never stored
    { weight: 1, arbitrary: fc.tuple(goodId, fc.constantFrom('status/x', 'resultz', 'jobs/extra', 'x/results'), payload).map(([id, ch, p]) => ({ topic: `${topics.prefix}/instruments/${id}/${ch}`, payload: p, delivered: false })) },
  );
}

export interface FuzzOptions {
  runs?: number;
  seed?: number;
}

/**
 * The fuzzing run: one service (child process, machine PostgreSQL/Mosquitto, fresh database),
 * a fixture campaign, then every property with `runs` generated cases each.
 */
export async function fuzzScenario(options: FuzzOptions = {}): Promise<ScenarioResult & { perProperty: Record<string, { cases: number; failures: number; statuses: string }> }> {
  const runs = options.runs ?? DEFAULT_FUZZ_RUNS;
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const started = Date.now();
  const failures: string[] = [];
  const perProperty: Record<string, { cases: number; failures: number; statuses: string }> = {};
  let checks = 0;
  const database = await machineDatabase();
  let service: ServiceProcess | null = null;
  let db: pg.Client | null = null;
  let rig: MqttConnection | null = null;
  const prefix = `${unique('fuzz')}/v1`;
  try {
    service = await startService({
      ADMIN_API_KEY: ADMIN_KEY, DATABASE_URL: database.url, MQTT_URL: MACHINE_MQTT, MQTT_TOPIC_PREFIX: prefix, MQTT_CLIENT_ID: unique('svc-fuzz'),
      MAX_BODY_BYTES: String(BODY_LIMIT), IMPORT_MAX_ROWS: '1000', LOG_LEVEL: 'error',
    });
    const base = service.baseUrl;
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const f = await fixture(base, db, prefix);
    const before = await snapshot(db);

    // REST properties
    for (const [name, arb] of Object.entries(restCases(f))) {
      const statuses = new Map<number, number>();
      let bad = 0;
      await fc.assert(
        fc.asyncProperty(arb, async (c) => {
          checks++;
          const r = await send(base, c).catch((e: Error) => ({ status: 0, text: e.message, contentType: '' }));
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          const okStatus = c.expect === 'bad' ? r.status >= 400 && r.status < 500 : r.status > 0 && r.status < 500;
          const okBody = r.status === 0 || r.contentType.includes('json') || r.contentType.includes('csv') || r.status === 404;
          if (!okStatus || !okBody) {
            bad++;
            const body = c.body === undefined ? '' : ` body ${String(c.body).slice(0, name.startsWith('junk') ? 300 : 3000)}`;
            if (failures.length < 50) failures.push(`${name}: ${c.method} ${c.path.slice(0, 200)}${body} -> ${r.status} ${r.contentType} ${r.text.slice(0, 300)}`);
          }
          return true;
        }),
        { numRuns: runs, seed, endOnFailure: true },
      );
      perProperty[name] = { cases: runs, failures: bad, statuses: [...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}x${n}`).join(' ') };
    }

    // SQL injection as data: stored verbatim, found by search, nothing else touched
    let sqliBad = 0;
    for (const s of SQLI) {
      checks += 2;
      const created = await api(base, 'POST', '/api/v1/campaigns', demoCampaign({ name: s, description: s }));
      const found = await api(base, 'GET', `/api/v1/campaigns?q=${encodeURIComponent(s)}&limit=100`);
      if (created.status !== 201 || created.body.name !== s) {
        sqliBad++;
        failures.push(`SQL injection as a campaign name: ${created.status} ${created.text.slice(0, 200)}`);
      }
      if (found.status !== 200 || !found.body.items?.some((x: { id: string }) => x.id === created.body.id)) {
        sqliBad++;
        failures.push(`search for ${s}: ${found.status} ${found.text.slice(0, 200)}`);
      }
    }
    perProperty['SQL injection strings as data (stored verbatim, searchable)'] = { cases: SQLI.length * 2, failures: sqliBad, statuses: '' };

    // MQTT property
    const topics = new InstrumentTopics(prefix);
    rig = await MqttConnection.connect({ url: MACHINE_MQTT, clientId: unique('fuzzrig'), clean: true });
    let delivered = 0;
    const mqttStart = Date.now();
    const rejectedBefore = (await db.query(`SELECT count(*)::int AS n FROM rejected_message WHERE channel = 'mqtt'`)).rows[0].n;
    const r = rig;
    await fc.assert(
      fc.asyncProperty(mqttCases(topics), async (m) => {
        checks++;
        if (m.delivered) delivered++;
        await r.publish(m.topic, m.payload);
        return true;
      }),
      { numRuns: runs, seed },
    );
    const d = db;
    let rejected = 0;
    await until(`${delivered} MQTT messages in the rejected store`, async () => {
      rejected = (await d.query(`SELECT count(*)::int AS n FROM rejected_message WHERE channel = 'mqtt'`)).rows[0].n - rejectedBefore;
      return rejected >= delivered;
    }, 60_000, 200).catch((e: Error) => failures.push(`MQTT: ${e.message} (${rejected} recorded)`));
    await new Promise((res) => setTimeout(res, 300));
    rejected = (await d.query(`SELECT count(*)::int AS n FROM rejected_message WHERE channel = 'mqtt'`)).rows[0].n - rejectedBefore;
    checks++;
    if (rejected !== delivered) failures.push(`MQTT: ${delivered} bad messages delivered, ${rejected} in the rejected store`);
    perProperty['MQTT bad messages (each kept in the rejected store)'] = { cases: runs, failures: Math.abs(rejected - delivered), statuses: `${delivered} delivered, ${rejected} rejected, ${runs - delivered} on unsubscribed topics; ${((Date.now() - mqttStart) / 1000).toFixed(1)} s` };

    // The service is up and the data is as it was (plus the SQL-injection campaigns we created on purpose)
    checks += 2;
    const health = await api(base, 'GET', '/health');
    if (health.status !== 200 || service.exited()) failures.push(`health after fuzzing: ${health.status} ${health.text.slice(0, 200)}`);
    const after = await snapshot(db);
    for (const t of Object.keys(before)) {
      if (t === 'campaign' || t === 'audit_event') continue;
      if (before[t] !== after[t]) failures.push(`table ${t} changed: ${before[t]} -> ${after[t]}`);
    }
    const campaigns = (await db.query(`SELECT count(*)::int AS n FROM campaign`)).rows[0].n;
    checks++;
    if (campaigns !== Number(before.campaign.split(' ')[0]) + SQLI.length) {
      failures.push(`campaign rows: ${before.campaign} before, ${campaigns} after (expected +${SQLI.length})`);
    }
    const fixtureRows = (await db.query(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS sum FROM campaign t WHERE id = ANY($1::uuid[])`,
      [[f.campaignId, f.draftId, f.gatedId]],
    )).rows[0].sum;
    checks++;
    if (fixtureRows !== f.fixtureSum) failures.push('the fixture campaigns changed');
    const audit = (await db.query(`SELECT count(*)::int AS n FROM audit_event WHERE campaign_id = ANY($1::uuid[])`, [[f.campaignId, f.draftId, f.gatedId]])).rows[0].n;
    checks++;
    if (audit !== f.fixtureAudit) failures.push(`audit events of the fixture campaigns: ${f.fixtureAudit} -> ${audit}`);
  } catch (error) {
    failures.push(`error: ${(error as Error).stack}`);
  } finally {
    await rig?.close();
    await service?.stop('SIGTERM');
    await db?.end();
    await database.drop();
  }
  return {
    name: 'fuzz',
    checks,
    failures,
    messagesLost: 0,
    figures: { seed, runsPerProperty: runs, seconds: Math.round((Date.now() - started) / 100) / 10 },
    perProperty,
  };
}
