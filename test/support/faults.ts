/**
 * Fault scenarios on real servers, shared by `test/integration/faults.test.ts` and
 * `npm run bench:faults` (scripts/faults.ts): each starts what it breaks (its own Mosquitto,
 * Redis or PostgreSQL, or the service as a child process), runs a campaign with virtual
 * instruments, breaks something mid-campaign, and returns its figures and the checks it made.
 * A scenario never throws on a failed check: it returns the failure, so the command can count
 * them and the test can show them all.
 */
import pg from 'pg';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import { encodeEvent, encodeResult, encodeStatus, InstrumentTopics, utcNow } from '../../adapters/mqtt/protocol.js';
import { generateApiKey } from '../../src/common/secrets.js';
import { DEMO_DESIGN_SPACE } from '../../simulators/oracle.js';
import { demoCampaign as closedLoopCampaign, oracle, seedRows } from './closed-loop.js';
import { VirtualInstrument } from '../../simulators/virtual-instrument.js';
import {
  MACHINE_MQTT, MACHINE_REDIS, machineDatabase, sleep, startMosquitto, startOwnPostgres, startRedis, startService, unique, type ServiceProcess,
} from './processes.js';

export const ADMIN_KEY = generateApiKey().token;
/** FAULTS_VERBOSE=1: say what each scenario is doing (on stderr). */
const say = (m: string) => {
  if (process.env.FAULTS_VERBOSE) console.error(`[faults ${new Date().toISOString().slice(11, 23)}] ${m}`);
};

export interface ScenarioResult {
  name: string;
  /** Checks made (each expectation on the outcome). */
  checks: number;
  /** Failed checks, with what was expected and seen. */
  failures: string[];
  /** Instrument results published (acknowledged by the broker) but never stored. */
  messagesLost: number;
  /** Figures worth printing (experiments, results, duplicates, seconds...). */
  figures: Record<string, number | string>;
}

class Checks {
  count = 0;
  failures: string[] = [];
  expect(ok: boolean, what: string): boolean {
    this.count++;
    if (!ok) this.failures.push(what);
    return ok;
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP and campaign helpers
// ---------------------------------------------------------------------------------------------

export interface ApiResponse {
  status: number;
  body: any;
  text: string;
  contentType: string;
  retryAfter: string | null;
}

export async function api(baseUrl: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<ApiResponse> {
  const raw = typeof body === 'string' || Buffer.isBuffer(body);
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ADMIN_KEY}`,
      ...(body === undefined ? {} : { 'content-type': raw ? 'text/csv' : 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : raw ? (body as string) : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, text, contentType: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after') };
}

export async function until<T>(what: string, check: () => Promise<T | false | null | undefined>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => false as const);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** The closed-loop tests' demo campaign, named for these scenarios. */
export const demoCampaign = (overrides: Record<string, unknown> = {}) => closedLoopCampaign({ name: 'fault test', ...overrides });
export { seedRows };

async function startCampaign(baseUrl: string, overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await api(baseUrl, 'POST', '/api/v1/campaigns', demoCampaign(overrides));
  if (created.status !== 201) throw new Error(`create campaign: ${created.status} ${created.text}`);
  const imported = await api(baseUrl, 'POST', `/api/v1/campaigns/${created.body.id}/measurements/import`, seedRows(20));
  if (imported.status !== 201) throw new Error(`import: ${imported.status} ${imported.text}`);
  const started = await api(baseUrl, 'POST', `/api/v1/campaigns/${created.body.id}/start`);
  if (started.status !== 200) throw new Error(`start: ${started.status} ${started.text}`);
  return created.body.id as string;
}

async function campaignStatus(baseUrl: string, id: string): Promise<string> {
  return (await api(baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body.status;
}

/** Polls the campaign until it completes (an API that is briefly unreachable counts as not yet). */
async function untilCompleted(baseUrl: string, id: string, after: string): Promise<void> {
  await until(`campaign completed ${after}`.trim(), async () => (await campaignStatus(baseUrl, id).catch(() => '')) === 'completed', 90_000, 250);
}

async function measuredCount(db: pg.Client, campaignId: string): Promise<number> {
  const [{ n }] = (await db.query(`SELECT count(*)::int AS n FROM experiment WHERE campaign_id = $1 AND status = 'measured'`, [campaignId])).rows;
  return n;
}

/** Virtual instruments that remember every result they published (acknowledged by the broker). */
class Lab {
  readonly instruments: VirtualInstrument[] = [];
  /** measurementId -> jobId of every result published, duplicates included once. */
  readonly published = new Map<string, string>();
  duplicatesSent = 0;

  async add(url: string, prefix: string, count: number, options: { speed?: number; duplicateResult?: number; maxConcurrentJobs?: number } = {}): Promise<void> {
    for (let i = 0; i < count; i++) {
      const id = unique(`rig${i}`).replace(/[^A-Za-z0-9_-]/g, '');
      const instrument = new VirtualInstrument({
        url,
        instrumentId: id,
        oracle,
        seed: 2 + i,
        prefix,
        speed: options.speed ?? 40_000, // a 6-hour job in about 0.5 s
        maxConcurrentJobs: options.maxConcurrentJobs ?? 2,
        clientId: unique(id),
        faults: { duplicateResult: options.duplicateResult ?? 0.3 },
        log: (entry) => {
          if (entry.kind === 'result' && entry.jobId && entry.detail) this.published.set(entry.detail.split(' ')[0], entry.jobId);
          if (entry.kind === 'duplicate_result') this.duplicatesSent++;
        },
      });
      await instrument.start();
      this.instruments.push(instrument);
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.instruments.map((i) => i.stop().catch(() => undefined)));
  }
}

/**
 * The invariants after a campaign with faults: completed; every experiment measured; exactly one
 * instrument measurement per experiment (none doubled); every result an instrument published is
 * stored (none lost), except where `allowLost` says why one may be (then its experiment must have
 * been measured through a re-dispatch). Adds its counts to `figures`; returns the messages lost.
 */
async function checkCampaign(
  c: Checks,
  db: pg.Client,
  campaignId: string,
  lab: Lab,
  budget: number,
  allowLost: boolean,
  figures: Record<string, number | string>,
): Promise<number> {
  const experiments = (await db.query(`SELECT id, status FROM experiment WHERE campaign_id = $1`, [campaignId])).rows as { id: string; status: string }[];
  c.expect(experiments.length === budget, `${budget} experiments (got ${experiments.length})`);
  const notMeasured = experiments.filter((e) => e.status !== 'measured');
  c.expect(notMeasured.length === 0, `every experiment measured (not: ${notMeasured.map((e) => e.status).join(', ')})`);
  const perExperiment = (await db.query(
    `SELECT e.id, count(m.id)::int AS n FROM experiment e LEFT JOIN measurement m ON m.experiment_id = e.id AND m.source = 'instrument' AND m.is_current
      WHERE e.campaign_id = $1 GROUP BY e.id`,
    [campaignId],
  )).rows as { id: string; n: number }[];
  const doubled = perExperiment.filter((r) => r.n > 1).length;
  const missing = perExperiment.filter((r) => r.n === 0).length;
  c.expect(doubled === 0, `no experiment with two instrument measurements (${doubled} have)`);
  c.expect(missing === 0, `no experiment without its instrument measurement (${missing} lack one)`);
  const stored = (await db.query(`SELECT external_id, job_id FROM measurement WHERE campaign_id = $1 AND source = 'instrument'`, [campaignId])).rows as { external_id: string; job_id: string }[];
  const storedIds = new Set(stored.map((m) => m.external_id));
  c.expect(storedIds.size === stored.length, `each measurement stored once (${stored.length} rows, ${storedIds.size} distinct ids)`);
  const jobIds = new Set((await db.query(`SELECT job_id FROM instrument_job WHERE campaign_id = $1`, [campaignId])).rows.map((r: { job_id: string }) => r.job_id));
  const ours = [...lab.published].filter(([, jobId]) => jobIds.has(jobId));
  const lostIds = ours.filter(([mid]) => !storedIds.has(mid));
  let recovered = 0;
  for (const [mid, jobId] of lostIds) {
    const job = (await db.query(`SELECT j.status, e.status AS experiment FROM instrument_job j JOIN experiment e ON e.id = j.experiment_id WHERE j.job_id = $1`, [jobId])).rows[0];
    if (job?.status === 'timed_out' && job.experiment === 'measured') recovered++;
    else c.failures.push(`result ${mid} of job ${jobId} was published but never stored, and not recovered (job ${job?.status}, experiment ${job?.experiment})`);
  }
  c.expect(allowLost || lostIds.length === 0, `every published result stored (${lostIds.length} of ${ours.length} lost: ${lostIds.map(([m]) => m).join(', ')})`);
  Object.assign(figures, { experiments: experiments.length, resultsPublished: ours.length, measurementsStored: stored.length, duplicatesSent: lab.duplicatesSent });
  if (allowLost) figures.resultsRecoveredByRedispatch = recovered;
  return lostIds.length - (allowLost ? recovered : 0);
}

async function connectDb(url: string): Promise<pg.Client> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  return db;
}

/** Forget a persistent session the service left on a shared broker. */
async function clearSession(url: string, clientId: string): Promise<void> {
  const c = await MqttConnection.connect({ url, clientId, clean: true, sessionExpirySeconds: 0 }).catch(() => null);
  await c?.close();
}

function baseEnv(extra: Record<string, string>): Record<string, string> {
  return {
    ADMIN_API_KEY: ADMIN_KEY,
    MQTT_TOPIC_PREFIX: `${unique('fault')}/v1`,
    QUEUE_PREFIX: unique('faultq'),
    SWEEP_INTERVAL_MS: '200',
    // A dispatch lost with a crash is re-sent after this; jobs take about 0.5 s.
    JOB_TIMEOUT_MS: '8000',
    ...extra,
  };
}

async function scenario(name: string, body: (c: Checks, figures: Record<string, number | string>) => Promise<number>): Promise<ScenarioResult> {
  const c = new Checks();
  const figures: Record<string, number | string> = {};
  const started = Date.now();
  let messagesLost = 0;
  try {
    messagesLost = await body(c, figures);
  } catch (error) {
    c.failures.push(`error: ${(error as Error).stack ?? String(error)}`);
  }
  figures.seconds = Math.round((Date.now() - started) / 100) / 10;
  return { name, checks: c.count, failures: c.failures, messagesLost, figures };
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/**
 * Our own Mosquitto (persistence off) is killed mid-campaign and started again on the same port:
 * the service and the instruments reconnect and subscribe again (the broker forgot them), the
 * campaign completes, no measurement is doubled or missing. What QoS 1 guarantees across a broker
 * that loses its state: a publish not yet acknowledged is sent again by the client (so nothing
 * in flight at the instrument is lost); a message the broker had acknowledged but not delivered
 * dies with it, and then the job passes its deadline and is dispatched again. Such results are
 * counted as recovered; a result lost without its experiment being measured is a failure.
 */
export function brokerRestartScenario(): Promise<ScenarioResult> {
  return scenario('broker restart', async (c, figures) => {
    const broker = await startMosquitto();
    const database = await machineDatabase();
    const lab = new Lab();
    let service: ServiceProcess | null = null;
    let db: pg.Client | null = null;
    try {
      const env = baseEnv({ DATABASE_URL: database.url, MQTT_URL: broker.url, MQTT_CLIENT_ID: unique('svc-broker') });
      service = await startService(env);
      db = await connectDb(database.url);
      await lab.add(broker.url, env.MQTT_TOPIC_PREFIX, 2);
      const budget = 12;
      const id = await startCampaign(service.baseUrl, { budget, batchSize: 4 });
      const d = db;
      await until('3 experiments measured', async () => (await measuredCount(d, id)) >= 3, 60_000);
      await broker.stop('SIGKILL');
      const health = await until('/health says the broker is down', async () => {
        const h = await api(service!.baseUrl, 'GET', '/health');
        return h.status === 503 && h.body.broker?.ok === false ? h : null;
      }, 15_000);
      c.expect(health.body.database.ok === true, '/health: database still up while the broker is down');
      await sleep(1000);
      await broker.start();
      await until('/health ok after the broker is back', async () => (await api(service!.baseUrl, 'GET', '/health')).status === 200, 30_000);
      await untilCompleted(service!.baseUrl, id, 'after the broker restart');
      c.expect(!service.exited(), 'the service is still running');
      return checkCampaign(c, db, id, lab, budget, true, figures);
    } finally {
      await lab.stop();
      await service?.stop('SIGTERM');
      await db?.end();
      await database.drop();
      await broker.dispose();
    }
  });
}

/**
 * The service (a child process with a fixed MQTT client id, so the broker keeps its session and
 * queues QoS 1 messages while it is away) is SIGKILLed while jobs are in flight and started again:
 * the campaign resumes and completes; every result the instruments published is stored once.
 */
export function serviceKillScenario(): Promise<ScenarioResult> {
  return scenario('service SIGKILL', async (c, figures) => {
    const database = await machineDatabase();
    const lab = new Lab();
    let service: ServiceProcess | null = null;
    let db: pg.Client | null = null;
    const env = baseEnv({ DATABASE_URL: database.url, MQTT_URL: MACHINE_MQTT, REDIS_URL: MACHINE_REDIS, MQTT_CLIENT_ID: unique('svc-kill') });
    try {
      service = await startService(env);
      db = await connectDb(database.url);
      await lab.add(MACHINE_MQTT, env.MQTT_TOPIC_PREFIX, 2);
      const budget = 16;
      const id = await startCampaign(service.baseUrl, { budget, batchSize: 4 });
      const d = db;
      await until('4 measured and jobs in flight', async () => {
        const [{ measured, open }] = (await d.query(
          `SELECT count(*) FILTER (WHERE status = 'measured')::int AS measured, count(*) FILTER (WHERE status IN ('dispatched','accepted','running'))::int AS open
             FROM experiment WHERE campaign_id = $1`,
          [id],
        )).rows;
        return measured >= 4 && open > 0;
      }, 60_000, 20);
      await service.stop('SIGKILL');
      figures.inFlightAtKill = (await db.query(`SELECT count(*)::int AS n FROM instrument_job WHERE campaign_id = $1 AND finished_at IS NULL`, [id])).rows[0].n;
      await sleep(1500); // instruments keep working and publishing; the broker queues for the service
      service = await startService(service.env);
      await untilCompleted(service!.baseUrl, id, 'after the restart');
      return checkCampaign(c, db, id, lab, budget, false, figures);
    } finally {
      await lab.stop();
      await service?.stop('SIGTERM');
      await db?.end();
      await database.drop();
      await clearSession(MACHINE_MQTT, env.MQTT_CLIENT_ID);
    }
  });
}

/**
 * Our own PostgreSQL goes down under the running service: requests get a JSON 5xx quickly (no
 * hang, no crash), /health says the database is down; once it is back, the service recovers by
 * itself and nothing stored before is gone.
 */
export function postgresRestartScenario(): Promise<ScenarioResult> {
  return scenario('PostgreSQL restart', async (c, figures) => {
    const postgres = await startOwnPostgres();
    let service: ServiceProcess | null = null;
    try {
      const env = baseEnv({ DATABASE_URL: postgres.url, MQTT_URL: MACHINE_MQTT, MQTT_CLIENT_ID: unique('svc-pg'), DB_POOL_SIZE: '4' });
      service = await startService(env);
      const base = service.baseUrl;
      const before = await api(base, 'POST', '/api/v1/campaigns', demoCampaign({ name: 'before the outage' }));
      c.expect(before.status === 201, `campaign created before the outage (${before.status})`);

      say('stopping PostgreSQL');
      await postgres.stop('SIGKILL');
      say('PostgreSQL stopped');
      const health = await until('/health says the database is down', async () => {
        const h = await api(base, 'GET', '/health');
        return h.status === 503 && h.body.database?.ok === false ? h : null;
      }, 20_000);
      c.expect(health.body.broker?.ok === true, '/health: the broker is still up');
      let answered = 0;
      const statuses: number[] = [];
      const probes: [string, string, unknown?][] = [
        ['GET', '/api/v1/campaigns'],
        ['GET', `/api/v1/campaigns/${before.body.id}`],
        ['POST', '/api/v1/campaigns', demoCampaign({ name: 'during the outage' })],
        ['GET', '/api/v1/me'],
        ['POST', `/api/v1/campaigns/${before.body.id}/start`],
      ];
      for (let round = 0; round < 3; round++) {
        for (const [method, path, body] of probes) {
          const t0 = Date.now();
          say(`probe ${method} ${path}`);
          const r = await api(base, method, path, body, {}, 30_000).catch((e: Error) => ({ status: 0, body: null, text: e.message, contentType: '', retryAfter: null }));
          statuses.push(r.status);
          const ms = Date.now() - t0;
          // Writes cannot happen: 503 with Retry-After. A read may still be answered from the
          // process's short-lived caches (200) or else gets the same 503.
          const unavailable = r.status === 503 && r.retryAfter !== null;
          if (
            c.expect(unavailable || (method === 'GET' && r.status === 200), `${method} ${path} while the database is down: 503 with Retry-After${method === 'GET' ? ' or a cached 200' : ''} (got ${r.status} ${r.text.slice(0, 200)})`) &&
            c.expect(r.contentType.includes('application/json') && typeof r.body === 'object' && r.body !== null, `${method} ${path}: a JSON body (got ${r.contentType}: ${r.text.slice(0, 100)})`) &&
            c.expect(ms < 15_000, `${method} ${path} answered in ${ms} ms (< 15 s)`)
          ) {
            answered++;
          }
        }
      }
      figures.requestsDuringOutage = statuses.length;
      figures.cleanAnswers = answered;
      figures.statusesDuringOutage = [...new Set(statuses)].join('/');
      c.expect(!service.exited(), 'the service survived the outage');

      say('starting PostgreSQL again');
      await postgres.start();
      say('PostgreSQL started');
      await until('/health ok after the database is back', async () => (await api(base, 'GET', '/health')).status === 200, 30_000);
      const after = await api(base, 'GET', `/api/v1/campaigns/${before.body.id}`);
      c.expect(after.status === 200 && after.body.name === 'before the outage', `the campaign stored before is there (${after.status})`);
      const created = await api(base, 'POST', '/api/v1/campaigns', demoCampaign({ name: 'after the outage' }));
      c.expect(created.status === 201, `writes work again (${created.status})`);
      const list = await api(base, 'GET', '/api/v1/campaigns?limit=100');
      const names = (list.body.items ?? []).map((x: { name: string }) => x.name).sort();
      c.expect(JSON.stringify(names) === JSON.stringify(['after the outage', 'before the outage']), `no campaign from the outage, none lost (${names.join(', ')})`);
      return 0;
    } finally {
      await service?.stop('SIGTERM');
      await postgres.dispose();
    }
  });
}

/**
 * Our own PostgreSQL is killed while instruments are working: the results they publish during the
 * outage were taken from the broker already, so the service must hold them and store them once
 * the database is back. The campaign completes; every published result is stored once.
 */
export function postgresOutageMidCampaignScenario(): Promise<ScenarioResult> {
  return scenario('PostgreSQL outage mid-campaign', async (c, figures) => {
    const postgres = await startOwnPostgres();
    const lab = new Lab();
    let service: ServiceProcess | null = null;
    let db: pg.Client | null = null;
    const env = baseEnv({ DATABASE_URL: postgres.url, MQTT_URL: MACHINE_MQTT, MQTT_CLIENT_ID: unique('svc-pgmid'), DB_POOL_SIZE: '4' });
    try {
      service = await startService(env);
      // Slower jobs (about 1.5 s) so that results keep coming while the database is down.
      await lab.add(MACHINE_MQTT, env.MQTT_TOPIC_PREFIX, 2, { speed: 15_000 });
      const budget = 12;
      const id = await startCampaign(service.baseUrl, { budget, batchSize: 4 });
      db = await connectDb(postgres.url);
      const d = db;
      await until('jobs in flight', async () => (await d.query(`SELECT count(*)::int AS n FROM instrument_job WHERE campaign_id = $1 AND finished_at IS NULL`, [id])).rows[0].n > 0, 60_000, 20);
      await db.end().catch(() => undefined);
      db = null;
      const publishedBefore = lab.published.size;
      say('stopping PostgreSQL mid-campaign');
      await postgres.stop('SIGKILL');
      await sleep(4000); // instruments finish their jobs and publish meanwhile
      figures.publishedDuringOutage = lab.published.size - publishedBefore;
      c.expect(figures.publishedDuringOutage > 0, `results were published while the database was down (${figures.publishedDuringOutage})`);
      await postgres.start();
      say('PostgreSQL started again');
      await untilCompleted(service!.baseUrl, id, 'after the outage');
      db = await connectDb(postgres.url);
      return checkCampaign(c, db, id, lab, budget, false, figures);
    } finally {
      await lab.stop();
      await service?.stop('SIGTERM');
      await db?.end();
      await postgres.dispose();
      await clearSession(MACHINE_MQTT, env.MQTT_CLIENT_ID);
    }
  });
}

/**
 * Our own Redis (BullMQ) is killed mid-campaign: /health says the queue is down; design
 * iterations asked for meanwhile wait; Redis comes back empty (no persistence) and the campaign
 * still completes.
 */
export function redisOutageScenario(): Promise<ScenarioResult> {
  return scenario('Redis outage', async (c, figures) => {
    const redis = await startRedis();
    const database = await machineDatabase();
    const lab = new Lab();
    let service: ServiceProcess | null = null;
    let db: pg.Client | null = null;
    const env = baseEnv({ DATABASE_URL: database.url, MQTT_URL: MACHINE_MQTT, REDIS_URL: redis.url, MQTT_CLIENT_ID: unique('svc-redis') });
    try {
      service = await startService(env);
      db = await connectDb(database.url);
      await lab.add(MACHINE_MQTT, env.MQTT_TOPIC_PREFIX, 2);
      const budget = 12;
      const id = await startCampaign(service.baseUrl, { budget, batchSize: 4 });
      const d = db;
      await until('2 experiments measured', async () => (await measuredCount(d, id)) >= 2, 60_000, 20);
      await redis.stop('SIGKILL');
      const health = await until('/health says the queue is down', async () => {
        const h = await api(service!.baseUrl, 'GET', '/health');
        return h.status === 503 && h.body.queue?.ok === false ? h : null;
      }, 15_000);
      c.expect(health.body.database.ok === true && health.body.broker.ok === true, '/health: database and broker up while Redis is down');
      // Results keep arriving; the design iterations they ask for cannot reach the queue.
      await sleep(3000);
      const during = await api(service.baseUrl, 'GET', `/api/v1/campaigns/${id}`);
      c.expect(during.status === 200, `the API answers while Redis is down (${during.status})`);
      figures.measuredWhileDown = await measuredCount(db, id);
      await redis.start();
      await until('/health ok after Redis is back', async () => (await api(service!.baseUrl, 'GET', '/health')).status === 200, 30_000);
      await untilCompleted(service!.baseUrl, id, 'after Redis came back');
      c.expect(!service.exited(), 'the service is still running');
      return checkCampaign(c, db, id, lab, budget, false, figures);
    } finally {
      await lab.stop();
      await service?.stop('SIGTERM');
      await db?.end();
      await database.drop();
      await redis.dispose();
      await clearSession(MACHINE_MQTT, env.MQTT_CLIENT_ID);
    }
  });
}

/**
 * A hand-driven instrument sends its messages out of order and repeated: a result before
 * accepted/started, the same result three times, events for jobs that are already finished
 * (progress, failed, rejected after the result). Each result is stored once; experiments and
 * jobs end measured/completed and are not reopened or re-dispatched by the stale events.
 */
export function duplicatesScenario(): Promise<ScenarioResult> {
  return scenario('duplicate and out-of-order messages', async (c, figures) => {
    const database = await machineDatabase();
    let service: ServiceProcess | null = null;
    let rig: MqttConnection | null = null;
    let db: pg.Client | null = null;
    const env = baseEnv({ DATABASE_URL: database.url, MQTT_URL: MACHINE_MQTT, MQTT_CLIENT_ID: unique('svc-dup') });
    try {
      service = await startService(env);
      db = await connectDb(database.url);
      const topics = new InstrumentTopics(env.MQTT_TOPIC_PREFIX);
      const rigId = unique('handrig').replace(/[^A-Za-z0-9_-]/g, '');
      const jobs: { jobId: string; composition: Record<string, number> }[] = [];
      rig = await MqttConnection.connect({
        url: MACHINE_MQTT,
        clientId: unique(rigId),
        clean: true,
        onMessage: (topic, payload) => {
          const m = JSON.parse(payload.toString());
          if (m.type === 'job.dispatch') jobs.push({ jobId: m.jobId, composition: m.composition });
        },
      });
      await rig.subscribe(topics.jobs(rigId));
      const capabilities = { stages: ['synthesis', 'mechanical_test'] as ('synthesis' | 'mechanical_test')[], elements: [...DEMO_DESIGN_SPACE.elements], maxConcurrentJobs: 4 };
      await rig.publish(topics.status(rigId), encodeStatus({ state: 'online', at: utcNow(), capabilities }), { retain: true });
      const id = await startCampaign(service.baseUrl, { budget: 4, batchSize: 4 });
      await until('4 jobs dispatched to the hand-driven rig', async () => jobs.length >= 4, 30_000);

      const r = rig;
      const send = (channel: 'events' | 'results', payload: string) => r.publish(channel === 'events' ? topics.events(rigId) : topics.results(rigId), payload);
      const event = (jobId: string, type: string, extra: Record<string, unknown> = {}) => encodeEvent({ type, jobId, at: utcNow(), ...extra } as never);
      const result = (i: number) =>
        encodeResult({
          jobId: jobs[i].jobId, measurementId: `${rigId}-m${i}`, composition: jobs[i].composition, phase: 'amorphous',
          yieldStrengthMPa: 1600 + i, elongationPct: 3 + i, measuredAt: utcNow(),
        });
      let sent = 0;
      const go = async (channel: 'events' | 'results', payload: string) => {
        sent++;
        await send(channel, payload);
      };
      // job 0: the result first, then its (stale) accepted/started/progress events
      await go('results', result(0));
      await go('events', event(jobs[0].jobId, 'job.accepted'));
      await go('events', event(jobs[0].jobId, 'job.started', { stage: 'synthesis' }));
      await go('events', event(jobs[0].jobId, 'job.progress', { stage: 'synthesis', fraction: 0.5 }));
      // job 1: accepted, the same result three times, then a failure for the finished job
      await go('events', event(jobs[1].jobId, 'job.accepted'));
      await go('results', result(1));
      await go('results', result(1));
      await go('events', event(jobs[1].jobId, 'job.started', { stage: 'mechanical_test' }));
      await go('results', result(1));
      await go('events', event(jobs[1].jobId, 'job.failed', { stage: 'mechanical_test', reason: 'late noise', retryable: true }));
      // job 2: progress before accepted, started after progress, result, then a rejection
      await go('events', event(jobs[2].jobId, 'job.progress', { stage: 'mechanical_test', fraction: 1 }));
      await go('events', event(jobs[2].jobId, 'job.started', { stage: 'synthesis' }));
      await go('events', event(jobs[2].jobId, 'job.accepted'));
      await go('results', result(2));
      await go('events', event(jobs[2].jobId, 'job.rejected', { reason: 'changed my mind' }));
      await go('results', result(2));
      // job 3: only results (no events at all), twice, then a non-retryable failure
      await go('results', result(3));
      await go('results', result(3));
      await go('events', event(jobs[3].jobId, 'job.failed', { stage: 'synthesis', reason: 'too late', retryable: false }));
      figures.messagesSent = sent;

      const d = db;
      await until('campaign completed', async () => (await campaignStatus(service!.baseUrl, id)) === 'completed', 30_000);
      await sleep(1000); // let the stale events that follow the results be handled too
      const experiments = (await d.query(`SELECT id, status, current_job_id FROM experiment WHERE campaign_id = $1`, [id])).rows;
      c.expect(experiments.length === 4 && experiments.every((e: { status: string }) => e.status === 'measured'), `4 experiments, all measured (${experiments.map((e: { status: string }) => e.status).join(', ')})`);
      const jobRows = (await d.query(`SELECT job_id, status FROM instrument_job WHERE campaign_id = $1`, [id])).rows;
      c.expect(jobRows.length === 4, `no re-dispatch caused by the stale events (${jobRows.length} jobs)`);
      c.expect(jobRows.every((j: { status: string }) => j.status === 'completed'), `every job completed (${jobRows.map((j: { status: string }) => j.status).join(', ')})`);
      const measurements = (await d.query(`SELECT external_id, experiment_id FROM measurement WHERE campaign_id = $1 AND source = 'instrument'`, [id])).rows;
      c.expect(measurements.length === 4, `each result stored once: 4 measurements (${measurements.length})`);
      c.expect(new Set(measurements.map((m: { experiment_id: string }) => m.experiment_id)).size === 4, 'one per experiment');
      // After 'measured' the audit trail has no transition of the experiment any more.
      const after = (await d.query(
        `SELECT count(*)::int AS n FROM audit_event a
          WHERE a.campaign_id = $1 AND a.entity_type = 'experiment' AND a.action = 'transition'
            AND a.id > (SELECT min(b.id) FROM audit_event b WHERE b.entity_id = a.entity_id AND b.to_state = 'measured')`,
        [id],
      )).rows[0].n;
      c.expect(after === 0, `no transition after measured (${after})`);
      const rejected = (await d.query(`SELECT count(*)::int AS n FROM rejected_message WHERE instrument_id = $1`, [rigId])).rows[0].n;
      c.expect(rejected === 0, `no valid message rejected (${rejected})`);
      figures.measurementsStored = measurements.length;
      return 4 - new Set(measurements.map((m: { external_id: string }) => m.external_id)).size;
    } finally {
      await rig?.close();
      await service?.stop('SIGTERM');
      await db?.end();
      await database.drop();
      await clearSession(MACHINE_MQTT, env.MQTT_CLIENT_ID);
    }
  });
}

export const FAULT_SCENARIOS = {
  'broker restart': brokerRestartScenario,
  'service SIGKILL': serviceKillScenario,
  'PostgreSQL restart': postgresRestartScenario,
  'PostgreSQL outage mid-campaign': postgresOutageMidCampaignScenario,
  'Redis outage': redisOutageScenario,
  'duplicate and out-of-order messages': duplicatesScenario,
} as const;
