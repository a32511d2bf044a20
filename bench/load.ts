/**
 * Load benchmark against the machine's real Mosquitto, PostgreSQL and Redis, with the service
 * run as separate processes (the built `dist/`, as in production):
 *
 *   npm run bench:load [-- --results 20000 --rate 3000 --instruments 100 --measurements 100000 --connections 100 --duration 10 --parts ingestion,dispatch,api --short]
 *
 * Prints: ingestion throughput with one and with two API processes (count check: none lost or
 * doubled), dispatch latency from approval to job.dispatch at the instrument (p50/p99, 100
 * instruments), API latency of the progress and list endpoints under concurrent load on a campaign
 * with 100,000 measurements (alone and while a worker trains), proposal latency (new measurement
 * -> next batch ready, default settings) and the peak memory of each process.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { MqttConnection } from '../adapters/mqtt/mqtt-connection.js';
import { decodeJobMessage, InstrumentTopics } from '../adapters/mqtt/protocol.js';
import { generateApiKey } from '../src/common/secrets.js';
import { Random } from '../src/core/util/random.js';
import { createOracle, DEMO_DESIGN_SPACE, demoCampaignFields, sampleSeedAlloys } from '../simulators/oracle.js';

const { values: args } = parseArgs({
  options: {
    results: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '3000' },
    instruments: { type: 'string', default: '100' },
    measurements: { type: 'string', default: '100000' },
    connections: { type: 'string', default: '100' },
    duration: { type: 'string', default: '10' },
    approvals: { type: 'string', default: '200' },
    'pg-url': { type: 'string', default: process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
    'redis-url': { type: 'string', default: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' },
    'mqtt-url': { type: 'string', default: process.env.BENCH_MQTT_URL ?? 'mqtt://127.0.0.1:1883' },
    'no-build': { type: 'boolean', default: false },
    short: { type: 'boolean', default: false },
    parts: { type: 'string', default: 'ingestion,dispatch,api' },
  },
});
const SHORT = args.short;
const RESULTS = SHORT ? 2000 : Number(args.results);
/** Offered load in results per second: a fleet publishes at a pace; an unpaced burst beyond the
 *  broker's per-client queue (Mosquitto: max_queued_messages, default 1000) is dropped by the broker. */
const RATE = Number(args.rate);
const INSTRUMENTS = SHORT ? 20 : Number(args.instruments);
const MEASUREMENTS = SHORT ? 10_000 : Number(args.measurements);
const CONNECTIONS = SHORT ? 20 : Number(args.connections);
const DURATION = SHORT ? 3 : Number(args.duration);
const APPROVALS = SHORT ? 30 : Number(args.approvals);
const ADMIN = generateApiKey().token;
const figures: string[] = [];
const log = (line: string) => console.error(`[bench:load] ${line}`);
const unique = (p: string) => `${p}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

interface Service {
  name: string;
  proc: ChildProcess;
  url: string;
  peakRssMb(): number;
  stop(): Promise<void>;
}

let nextPort = 3400 + Math.floor(Math.random() * 500);
async function startService(name: string, env: Record<string, string>): Promise<Service> {
  const port = nextPort++;
  const proc = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, PORT: String(port), WORKER_PORT: String(port), HOST: '127.0.0.1', ADMIN_API_KEY: ADMIN, LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
  proc.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
  let peak = 0;
  const sample = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) peak = Math.max(peak, Number(hwm[1]) / 1024);
    } catch {
      // exited
    }
  }, 200);
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`${name} exited: ${output}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    if (Date.now() > end) throw new Error(`${name} did not become healthy: ${output}`);
    await sleep(200);
  }
  return {
    name,
    proc,
    url,
    peakRssMb: () => peak,
    stop: async () => {
      clearInterval(sample);
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
      }
    },
  };
}

async function http(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

async function freshDatabase(): Promise<{ url: string; client: pg.Client; drop(): Promise<void> }> {
  const name = unique('aimd_bench');
  const admin = new pg.Client({ connectionString: args['pg-url'] });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(args['pg-url']!);
  u.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: u.toString() });
  return {
    url: u.toString(),
    client,
    drop: async () => {
      await client.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: args['pg-url'] });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

function campaignBody(name: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    ...demoCampaignFields(),
    budget: 100_000,
    batchSize: 8,
    seed: 1,
    ...extra,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

// ---------------------------------------------------------------------------------------------

async function ingestion(apiCount: number, services: Service[]): Promise<void> {
  const db = await freshDatabase();
  const prefix = `${unique('benchload')}/v1`;
  const env = { DATABASE_URL: db.url, REDIS_URL: args['redis-url']!, MQTT_URL: args['mqtt-url']!, MQTT_TOPIC_PREFIX: prefix, QUEUE_PREFIX: unique('q'), MQTT_SHARE_GROUP: unique('g') };
  const apis: Service[] = [];
  try {
    for (let i = 0; i < apiCount; i++) apis.push(await startService(`api${i + 1} (ingestion x${apiCount})`, { ...env, SERVICE_ROLE: 'api', MQTT_CLIENT_ID: unique(`api${i}`) }));
    services.push(...apis);
    await db.client.connect();
    const c = await http(apis[0].url, 'POST', '/api/v1/campaigns', campaignBody('ingestion'));
    const jobs: { job_id: string; instrument_id: string }[] = (
      await db.client.query(
        `WITH e AS (
           INSERT INTO experiment (campaign_id, sequence, batch_number, status, composition, formula, elements, attempts)
           SELECT $1, g, 1, 'running', '{"Zr": 60, "Cu": 30, "Al": 10}', 'Zr60Cu30Al10', '{Al,Cu,Zr}', 1 FROM generate_series(1, $2::int) g
           RETURNING id, sequence)
         INSERT INTO instrument_job (experiment_id, campaign_id, instrument_id, attempt, status, stages, dispatched_at, deadline)
         SELECT id, $1, 'rig' || lpad(((sequence - 1) % $3)::text, 3, '0'), 1, 'running', '{synthesis,mechanical_test}', now(), now() + interval '1 day' FROM e
         RETURNING job_id, instrument_id`,
        [c.id, RESULTS, INSTRUMENTS],
      )
    ).rows;
    await db.client.query(`UPDATE experiment e SET current_job_id = j.job_id, instrument_id = j.instrument_id FROM instrument_job j WHERE j.experiment_id = e.id`);
    const topics = new InstrumentTopics(prefix);
    // Instruments share a few MQTT connections (as a gateway would); each publishes its own results.
    const publishers = await Promise.all(
      Array.from({ length: Math.min(10, INSTRUMENTS) }, (_, i) => MqttConnection.connect({ url: args['mqtt-url']!, clientId: unique(`pub${i}`), clean: true })),
    );
    const duplicatesEvery = 20; // 5 % of results are sent twice (QoS 1 redelivery)
    const payloads = jobs.flatMap((j, i) => {
      const p = JSON.stringify({
        jobId: j.job_id, measurementId: `${j.instrument_id}-${i}`, composition: { Zr: 60, Cu: 30, Al: 10 }, phase: 'amorphous',
        yieldStrengthMPa: 1500 + (i % 500), elongationPct: 2 + (i % 7), measuredAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      });
      const topic = topics.results(j.instrument_id);
      return i % duplicatesEvery === 0 ? [{ topic, p }, { topic, p }] : [{ topic, p }];
    });
    log(`ingestion x${apiCount}: publishing ${payloads.length} results (${RESULTS} distinct) from ${INSTRUMENTS} instruments at ${RATE}/s offered`);
    const t0 = performance.now();
    const perPublisher = RATE / publishers.length; // messages per second each
    await Promise.all(
      publishers.map(async (pub, w) => {
        let sent = 0;
        const inFlight: Promise<void>[] = [];
        for (let i = w; i < payloads.length; i += publishers.length) {
          const due = t0 + (sent / perPublisher) * 1000;
          const wait = due - performance.now();
          if (wait > 1) await sleep(wait);
          inFlight.push(pub.publish(payloads[i].topic, payloads[i].p));
          if (inFlight.length >= 50) await Promise.all(inFlight.splice(0));
          sent++;
        }
        await Promise.all(inFlight);
      }),
    );
    const publishSeconds = (performance.now() - t0) / 1000;
    let stored = 0;
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      stored = Number((await db.client.query(`SELECT count(*) AS n FROM measurement WHERE campaign_id = $1`, [c.id])).rows[0].n);
      if (stored >= RESULTS) break;
      await sleep(50);
    }
    const seconds = (performance.now() - t0) / 1000;
    await sleep(1000); // late duplicates would show up now
    const final = Number((await db.client.query(`SELECT count(*) AS n FROM measurement WHERE campaign_id = $1`, [c.id])).rows[0].n);
    const distinct = Number((await db.client.query(`SELECT count(DISTINCT (instrument_id, external_id)) AS n FROM measurement WHERE campaign_id = $1`, [c.id])).rows[0].n);
    for (const p of publishers) await p.close();
    const rate = RESULTS / seconds;
    figures.push(
      `ingestion, ${apiCount} API process${apiCount > 1 ? 'es' : ''}: ${rate.toFixed(0)} results/s sustained at ${RATE}/s offered (${RESULTS} distinct + ${payloads.length - RESULTS} duplicates in ${seconds.toFixed(1)} s; published in ${publishSeconds.toFixed(1)} s); ` +
        `stored ${final}, lost ${RESULTS - distinct}, doubled ${final - distinct} [target >= 2000/s, 0 lost]`,
    );
    log(figures.at(-1)!);
  } finally {
    for (const a of apis) await a.stop();
    await db.drop();
  }
}

async function dispatchLatency(services: Service[]): Promise<void> {
  const db = await freshDatabase();
  const prefix = `${unique('benchdispatch')}/v1`;
  const api = await startService('api (dispatch)', {
    DATABASE_URL: db.url, MQTT_URL: args['mqtt-url']!, MQTT_TOPIC_PREFIX: prefix, MQTT_CLIENT_ID: unique('apid'), SWEEP_INTERVAL_MS: '60000',
  });
  services.push(api);
  const topics = new InstrumentTopics(prefix);
  const received = new Map<string, number>();
  const conns: MqttConnection[] = [];
  try {
    await db.client.connect();
    // 100 instruments, each its own MQTT connection with retained status and a jobs subscription.
    for (let i = 0; i < INSTRUMENTS; i++) {
      const id = `disp${String(i).padStart(3, '0')}`;
      const conn = await MqttConnection.connect({ url: args['mqtt-url']!, clientId: unique(id), clean: true });
      conn.onMessage((_topic, payload) => {
        const d = decodeJobMessage(payload);
        if (d.ok && d.message.type === 'job.dispatch') received.set(d.message.experimentId, performance.now());
      });
      await conn.subscribe(topics.jobs(id));
      await conn.publish(topics.status(id), JSON.stringify({ state: 'online', at: new Date().toISOString(), capabilities: { stages: ['synthesis', 'mechanical_test'], elements: DEMO_DESIGN_SPACE.elements, maxConcurrentJobs: 100 } }), { retain: true });
      conns.push(conn);
    }
    const c = await http(api.url, 'POST', '/api/v1/campaigns', campaignBody('dispatch', { approvalRequired: true, strategy: { method: 'random' } }));
    await http(api.url, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, [{ composition: { Zr: 60, Cu: 30, Al: 10 }, phase: 'amorphous', yieldStrengthMPa: 1500, elongationPct: 2 }]);
    // proposals waiting for approval (made directly, so the agent's timing is not in this figure)
    const proposals: { id: string }[] = (
      await db.client.query(
        `INSERT INTO experiment (campaign_id, sequence, batch_number, status, composition, formula, elements)
         SELECT $1, g, 1, 'proposed', '{"Zr": 60, "Cu": 30, "Al": 10}', 'Zr60Cu30Al10', '{Al,Cu,Zr}' FROM generate_series(1, $2::int) g RETURNING id`,
        [c.id, APPROVALS],
      )
    ).rows;
    await http(api.url, 'POST', `/api/v1/campaigns/${c.id}/start`);
    await sleep(1500); // the registry has every instrument; the first design iteration has run
    const latencies: number[] = [];
    for (const p of proposals) {
      const t0 = performance.now();
      await http(api.url, 'POST', `/api/v1/experiments/${p.id}/approve`, {});
      const end = Date.now() + 10_000;
      while (!received.has(p.id) && Date.now() < end) await sleep(0.5);
      if (received.has(p.id)) latencies.push(received.get(p.id)! - t0);
    }
    latencies.sort((a, b) => a - b);
    figures.push(
      `dispatch latency (approval -> job.dispatch at the instrument, ${INSTRUMENTS} instruments, ${latencies.length}/${APPROVALS} received): ` +
        `p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms [target p99 < 50 ms]`,
    );
    log(figures.at(-1)!);
  } finally {
    for (const conn of conns) await conn.close();
    await api.stop();
    await db.drop();
  }
}

async function cannon(url: string, path: string): Promise<{ p50: number; p99: number; rps: number; errors: number }> {
  const result = await autocannon({
    url: `${url}${path}`,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  return { p50: result.latency.p50, p99: result.latency.p99, rps: result.requests.average, errors: result.errors + result.non2xx };
}

async function apiLatencyAndProposal(services: Service[]): Promise<void> {
  const db = await freshDatabase();
  const prefix = `${unique('benchapi')}/v1`;
  const env = { DATABASE_URL: db.url, REDIS_URL: args['redis-url']!, MQTT_URL: args['mqtt-url']!, MQTT_TOPIC_PREFIX: prefix, QUEUE_PREFIX: unique('q') };
  const api = await startService('api (latency)', { ...env, SERVICE_ROLE: 'api', MQTT_CLIENT_ID: unique('apil') });
  services.push(api);
  let worker: Service | null = null;
  try {
    await db.client.connect();
    const big = await http(api.url, 'POST', '/api/v1/campaigns', campaignBody('100k measurements'));
    log(`inserting ${MEASUREMENTS} measurements`);
    await db.client.query(
      `INSERT INTO measurement (campaign_id, source, composition, formula, elements, phase, is_glass, yield_strength_mpa, elongation_pct, measured_at)
       SELECT $1, 'seed', jsonb_build_object('Zr', 60 + (g % 10), 'Cu', 30 - (g % 10), 'Al', 10), 'Zr60Cu30Al10', '{Al,Cu,Zr}',
              CASE WHEN g % 4 = 0 THEN 'crystalline' ELSE 'amorphous' END, g % 4 <> 0, 1200 + (g::bigint * 7919 % 900), (g::bigint * 104729 % 1200) / 100.0, now()
         FROM generate_series(1, $2::int) g`,
      [big.id, MEASUREMENTS],
    );
    await db.client.query('ANALYZE');
    const endpoints = [`/api/v1/campaigns/${big.id}/progress`, `/api/v1/campaigns/${big.id}/measurements?limit=50&offset=5000`, '/api/v1/campaigns?limit=20'];
    for (const path of endpoints) {
      const r = await cannon(api.url, path);
      figures.push(`API GET ${path.replace(big.id, ':id')} (${MEASUREMENTS} measurements, ${CONNECTIONS} connections): p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.rps.toFixed(0)} req/s, errors ${r.errors} [target p99 < 50 ms]`);
      log(figures.at(-1)!);
    }

    // A worker process trains on a second campaign while the API is under load; then the
    // proposal latency: a new measurement -> the next batch ready, default strategy settings.
    worker = await startService('worker', { ...env, SERVICE_ROLE: 'worker', MQTT_CLIENT_ID: unique('wrk') });
    services.push(worker);
    const oracle = createOracle(7);
    const seeds = sampleSeedAlloys(oracle, DEMO_DESIGN_SPACE, 40, new Random(7)).map((a) => ({
      composition: a.composition, phase: a.isGlass ? 'amorphous' : 'crystalline', yieldStrengthMPa: a.yieldStrengthMPa, elongationPct: a.elongationPct,
    }));
    // One instrument with room for everything, so each iteration proposes a full batch.
    const rig = await MqttConnection.connect({ url: args['mqtt-url']!, clientId: unique('rigP'), clean: true });
    const topics = new InstrumentTopics(prefix);
    await rig.publish(topics.status('rigP'), JSON.stringify({ state: 'online', at: new Date().toISOString(), capabilities: { stages: ['synthesis', 'mechanical_test'], elements: DEMO_DESIGN_SPACE.elements, maxConcurrentJobs: 100 } }), { retain: true });
    await sleep(500);
    const design = await http(api.url, 'POST', '/api/v1/campaigns', campaignBody('proposal latency', { budget: 64, batchSize: 8 }));
    await http(api.url, 'POST', `/api/v1/campaigns/${design.id}/measurements/import`, seeds);
    const batchReady = async (n: number, since: number) => {
      for (;;) {
        const page = await http(api.url, 'GET', `/api/v1/campaigns/${design.id}/experiments?limit=1`);
        if (page.total >= n) return (performance.now() - since) / 1000;
        await sleep(200);
      }
    };
    const tStart = performance.now();
    await http(api.url, 'POST', `/api/v1/campaigns/${design.id}/start`);
    const underTraining = await cannon(api.url, endpoints[0]);
    figures.push(`API GET /api/v1/campaigns/:id/progress while a worker trains: p50 ${underTraining.p50} ms, p99 ${underTraining.p99} ms, ${underTraining.rps.toFixed(0)} req/s, errors ${underTraining.errors} [target p99 < 50 ms]`);
    log(figures.at(-1)!);
    const cold = await batchReady(8, tStart);
    figures.push(`proposal latency, first batch (start -> 8 proposals ready; surrogates + TEP + TD3 from scratch + proposals): ${cold.toFixed(1)} s`);
    log(figures.at(-1)!);
    // A technician result on the first proposal: the refresh (surrogates + warm agent) proposes again.
    const first = (await http(api.url, 'GET', `/api/v1/campaigns/${design.id}/experiments?limit=1`)).items[0];
    const t1 = performance.now();
    await http(api.url, 'POST', `/api/v1/experiments/${first.id}/measurements`, { phase: 'amorphous', yieldStrengthMPa: 1650, elongationPct: 4.5 });
    const warm = await batchReady(16, t1);
    await rig.publish(topics.status('rigP'), '', { retain: true });
    await rig.close();
    figures.push(`proposal latency, new measurement -> next batch ready (surrogate refresh + agent refresh + proposal, default settings): ${warm.toFixed(1)} s [target <= 60 s]`);
    log(figures.at(-1)!);
  } finally {
    await worker?.stop();
    await api.stop();
    await db.drop();
  }
}

async function main(): Promise<void> {
  log(`machine: ${execFileSync('nproc').toString().trim()} cores; load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  if (!args['no-build']) {
    log('building dist/ (npm run build)');
    execFileSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  }
  const services: Service[] = [];
  const parts = new Set(args.parts!.split(','));
  if (parts.has('ingestion')) {
    await ingestion(1, services);
    await ingestion(2, services);
  }
  if (parts.has('dispatch')) await dispatchLatency(services);
  if (parts.has('api')) await apiLatencyAndProposal(services);
  console.log('\n== bench:load ==');
  for (const f of figures) console.log(f);
  console.log('peak memory (VmHWM):');
  for (const s of services) console.log(`  ${s.name.padEnd(28)} ${s.peakRssMb().toFixed(0)} MB`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
