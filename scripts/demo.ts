/**
 * `npm run demo`: the whole closed loop on a bare machine, in this process.
 *
 *   1. starts the service on its embedded defaults (embedded PostgreSQL in .data/demo, an embedded
 *      MQTT broker on a free port, in-process jobs) with a fresh admin API key;
 *   2. attaches the virtual laboratory (simulators/fleet.ts: virtual instruments on that broker,
 *      measuring with the ground-truth oracle, with a small rate of realistic faults);
 *   3. creates a Zr-based campaign over the REST API (the oracle's demo design space and targets),
 *      imports seed data sampled from the oracle, starts it and follows it to its budget (progress
 *      bar, one line per finished batch) through the API: the SSE live feed and the progress report;
 *   4. writes a report folder: report.md, experiments.csv, the plots (best so far, Pareto front
 *      with the targets, success rate per batch; SVG and PNG) and the MQTT messages of one
 *      experiment as captured on the broker; then stops everything.
 *
 * `npm run demo -- --help` lists the flags.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { ConsoleLogger, type INestApplication, type LogLevel } from '@nestjs/common';
import { MqttConnection } from '../adapters/mqtt/mqtt-connection.js';
import { InstrumentTopics } from '../adapters/mqtt/protocol.js';
import { createApp } from '../src/apps/app.js';
import { generateApiKey } from '../src/common/secrets.js';
import { setupTf } from '../src/core/rl/tf.js';
import { loadConfig } from '../src/config/config.js';
import type { MeasuredAlloy } from '../src/core/domain/measured-alloy.js';
import { Random } from '../src/core/util/random.js';
import { fitness } from '../src/services/design/genetic-strategy.js';
import { startInfrastructure } from '../src/apps/infrastructure.js';
import type { Infrastructure } from '../src/services/tokens.js';
import { startLab } from '../src/apps/lab-startup.js';
import { renderPlot, type PlotKind } from '../src/services/progress/plots.js';
import type { ProgressReport } from '../src/services/progress/progress.types.js';
import { startFleet, type Fleet } from '../simulators/fleet.js';
import { DEMO_DESIGN_SPACE, demoCampaignFields, sampleSeedAlloys } from '../simulators/oracle.js';
import { createLabOracle, LAB_SPACES, labCampaignFields, ORACLE_KINDS, scenarioSeedAlloys, type LabSpace, type OracleKind } from '../simulators/scenarios.js';
import { ALLOY_FAMILIES, type AlloyFamily } from '../src/core/knowledge/families.js';

function oracleKind(v: string): OracleKind {
  if (!(ORACLE_KINDS as readonly string[]).includes(v)) throw new Error(`invalid --oracle ${v}: one of ${ORACLE_KINDS.join(', ')}`);
  return v as OracleKind;
}

/** The family's lab; hea has only the data-grounded lab (the smooth one knows Zr glasses only). */
function familyAndOracle(family: string, oracle: string | undefined): { family: AlloyFamily; oracle: OracleKind } {
  if (!(ALLOY_FAMILIES as readonly string[]).includes(family)) throw new Error(`invalid --family ${family}: one of ${ALLOY_FAMILIES.join(', ')}`);
  if (family === 'hea') {
    if (oracle !== undefined && oracle !== 'data') throw new Error(`--family hea runs on the data lab only (got --oracle ${oracle})`);
    return { family: 'hea', oracle: 'data' };
  }
  return { family: family as AlloyFamily, oracle: oracleKind(oracle ?? DEMO_DEFAULTS.oracle) };
}

/** The lab space of the run (set from --family): its design space and targets. */
let LAB: LabSpace = LAB_SPACES.demo;

export interface DemoOptions {
  /** Experiments the campaign may run. */
  budget: number;
  batch: number;
  /** Campaign, oracle and fleet seed. */
  seed: number;
  instruments: number;
  /** Real time divided by this (a 6 h synthesis + test takes 6 h / speed). */
  speed: number;
  faultRate: number;
  seedAlloys: number;
  /** The virtual lab's truth: smooth (simulators/oracle.ts) or data (simulators/data-oracle.ts, the published measurements). */
  oracle: OracleKind;
  /** zr-bmg: the Zr demo space (glass required); hea: the high-entropy-alloy space (crystalline allowed, data lab). */
  family: AlloyFamily;
  /** STRATEGIES key: aimatdesign, random, genetic. */
  strategy: string;
  /** AIMatDesign training episodes in the first design iteration (null: the service's default). */
  episodes: number | null;
  /** Report folder (default reports/demo-<timestamp>). */
  out: string | null;
  dataDir: string;
  pgPort: number;
  /**
   * Keep the demo database of an earlier run (default: a new cluster each run). The virtual
   * instruments number their measurements from 1 each run, so with kept data they get new ids.
   */
  keepData: boolean;
  /** Give up (abort the campaign, exit 1) after this many minutes. */
  timeoutMinutes: number;
  /** Service logs at log level; the instruments' events as lines. */
  verbose: boolean;
  /** No progress bar (lines only). Default: a bar when stderr is a terminal. */
  noBar: boolean;
}

export const DEMO_DEFAULTS: DemoOptions = {
  budget: 48,
  batch: 8,
  seed: 1,
  instruments: 4,
  speed: 100_000,
  faultRate: 0.03,
  seedAlloys: 32,
  oracle: 'smooth',
  family: 'zr-bmg',
  strategy: 'aimatdesign',
  episodes: 40,
  out: null,
  dataDir: '.data/demo',
  pgPort: 54339,
  keepData: false,
  timeoutMinutes: 30,
  verbose: false,
  noBar: false,
};

export const DEMO_USAGE = `usage: npm run demo -- [options]

Starts the service on its embedded defaults with a virtual laboratory attached, runs one Zr-based
campaign to its budget and writes a report (tables, plots, MQTT messages of one experiment).

  --budget N          experiments in the campaign (default ${DEMO_DEFAULTS.budget})
  --batch N           batch size (default ${DEMO_DEFAULTS.batch})
  --strategy NAME     aimatdesign | random | genetic (default ${DEMO_DEFAULTS.strategy})
  --episodes N        AIMatDesign training episodes in the first design iteration (default ${DEMO_DEFAULTS.episodes};
                      'service' for the service's default; later iterations refresh the warm-started agent)
  --seed N            campaign, oracle and instrument seed (default ${DEMO_DEFAULTS.seed})
  --seed-alloys N     seed measurements sampled from the oracle (default ${DEMO_DEFAULTS.seedAlloys}; smooth oracle)
  --oracle KIND       smooth | data (default ${DEMO_DEFAULTS.oracle}): data = the truth interpolates the published
                      measurements, seeded with published alloys of the space that miss the targets
                      (reads ../shared/data/aimatdesign or AIMD_DATA_DIR)
  --family NAME       zr-bmg | hea (default ${DEMO_DEFAULTS.family}): hea runs a high-entropy-alloy campaign
                      (CoCrFeNi with Al, Ti, Mo, Nb, crystalline allowed, yield strength and elongation) on the
                      data lab (--oracle data implied)
  --instruments N     virtual instruments (default ${DEMO_DEFAULTS.instruments})
  --speed X           lab time compression, 6 h per experiment / X (default ${DEMO_DEFAULTS.speed})
  --fault-rate P      failures, duplicate and late results at P, going offline at P/2 (default ${DEMO_DEFAULTS.faultRate})
  --out DIR           report folder (default reports/demo-<timestamp>)
  --data-dir DIR      embedded PostgreSQL cluster goes to DIR/postgres (default ${DEMO_DEFAULTS.dataDir}; a new one each run)
  --pg-port N         its port (default ${DEMO_DEFAULTS.pgPort})
  --keep-data         keep the previous run's database (campaigns accumulate)
  --timeout MIN       give up after MIN minutes (default ${DEMO_DEFAULTS.timeoutMinutes})
  --no-bar            no progress bar, lines only
  --verbose           service log and every instrument event
  --help              this text`;

export function parseDemoArgs(argv: string[]): DemoOptions | 'help' {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      budget: { type: 'string' },
      batch: { type: 'string' },
      strategy: { type: 'string' },
      episodes: { type: 'string' },
      seed: { type: 'string' },
      'seed-alloys': { type: 'string' },
      oracle: { type: 'string' },
      family: { type: 'string' },
      instruments: { type: 'string' },
      speed: { type: 'string' },
      'fault-rate': { type: 'string' },
      out: { type: 'string' },
      'data-dir': { type: 'string' },
      'pg-port': { type: 'string' },
      'keep-data': { type: 'boolean' },
      timeout: { type: 'string' },
      'no-bar': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const num = (v: string | undefined, name: string, fallback: number, ok: (n: number) => boolean) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || !ok(n)) throw new Error(`invalid --${name} ${v}`);
    return n;
  };
  const int = (n: number) => Number.isInteger(n);
  const d = DEMO_DEFAULTS;
  return {
    budget: num(values.budget, 'budget', d.budget, (n) => int(n) && n >= 1 && n <= 2000),
    batch: num(values.batch, 'batch', d.batch, (n) => int(n) && n >= 1 && n <= 100),
    strategy: values.strategy ?? d.strategy,
    episodes: values.episodes === 'service' ? null : num(values.episodes, 'episodes', d.episodes ?? 0, (n) => int(n) && n >= 1),
    seed: num(values.seed, 'seed', d.seed, int),
    seedAlloys: num(values['seed-alloys'], 'seed-alloys', d.seedAlloys, (n) => int(n) && n >= 4 && n <= 1000),
    ...familyAndOracle(values.family ?? d.family, values.oracle),
    instruments: num(values.instruments, 'instruments', d.instruments, (n) => int(n) && n >= 1 && n <= 99),
    speed: num(values.speed, 'speed', d.speed, (n) => n > 0),
    faultRate: num(values['fault-rate'], 'fault-rate', d.faultRate, (n) => n >= 0 && n <= 0.5),
    out: values.out ?? null,
    dataDir: values['data-dir'] ?? d.dataDir,
    pgPort: num(values['pg-port'], 'pg-port', d.pgPort, (n) => int(n) && n > 0 && n < 65536),
    keepData: values['keep-data'] ?? false,
    timeoutMinutes: num(values.timeout, 'timeout', d.timeoutMinutes, (n) => n > 0),
    verbose: values.verbose ?? false,
    noBar: values['no-bar'] ?? false,
  };
}

/** One MQTT message seen on the broker. */
export interface WireMessage {
  at: string;
  topic: string;
  payload: string;
}

export interface DemoExperiment {
  sequence: number;
  batchNumber: number;
  status: string;
  formula: string;
  instrumentId: string | null;
  attempts: number;
  phase: string | null;
  isGlass: boolean | null;
  yieldStrengthMPa: number | null;
  elongationPct: number | null;
  meetsObjectives: boolean | null;
}

export interface DemoResult {
  ok: boolean;
  campaignId: string;
  status: string;
  completionReason: string | null;
  outDir: string;
  files: string[];
  experiments: DemoExperiment[];
  measured: number;
  successes: number;
  successRate: number | null;
  seconds: { startup: number; campaign: number; report: number; total: number };
  /** The MQTT messages of one experiment (dispatch, events, result). */
  wire: WireMessage[];
}

interface Output {
  /** Report lines (stdout). */
  line(text: string): void;
  /** Status lines (stderr, above the bar). */
  status(text: string): void;
}

/** Stops the running demo's service, lab and database (for Ctrl-C). */
let activeStop: (() => Promise<void>) | null = null;

const TERMINAL = new Set(['measured', 'rejected', 'failed', 'cancelled', 'abandoned', 'timed_out']);

export async function runDemo(partial: Partial<DemoOptions> = {}, out?: Partial<Output>): Promise<DemoResult> {
  const o: DemoOptions = { ...DEMO_DEFAULTS, ...partial };
  if (o.family === 'hea') o.oracle = 'data';
  LAB = o.family === 'hea' ? LAB_SPACES.hea : LAB_SPACES.demo;
  const t0 = performance.now();
  const print: Output = {
    line: out?.line ?? ((t) => process.stdout.write(`${t}\n`)),
    status: out?.status ?? ((t) => process.stderr.write(`${t}\n`)),
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  const outDir = path.resolve(o.out ?? path.join('reports', `demo-${stamp}`));
  const dataDir = path.resolve(o.dataDir);
  // A new database each run: only the cluster folder the service makes in DATA_DIR, never the
  // folder itself, and not while a PostgreSQL (an interrupted run's) still runs on it.
  let keepData = o.keepData;
  if (!keepData && clusterRunning(path.join(dataDir, 'postgres'))) {
    print.status(`an embedded PostgreSQL still runs in ${shortPath(dataDir)}/postgres (an interrupted demo?): using it as it is`);
    keepData = true;
  }
  if (!keepData) rmSync(path.join(dataDir, 'postgres'), { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });

  // The agent's TensorFlow.js WebAssembly runtime installs process handlers that turn any
  // unhandled rejection into a crash (emscripten's node glue). Load it first and take them off;
  // the demo reports such rejections instead.
  const rejectionBefore = new Set(process.listeners('unhandledRejection'));
  const exceptionBefore = new Set(process.listeners('uncaughtException'));
  await setupTf();
  for (const l of process.listeners('unhandledRejection')) if (!rejectionBefore.has(l)) process.off('unhandledRejection', l);
  for (const l of process.listeners('uncaughtException')) if (!exceptionBefore.has(l)) process.off('uncaughtException', l);
  const rejections = new Map<string, number>();
  const onRejection = (reason: unknown) => {
    const text = reason instanceof Error ? reason.message : String(reason);
    rejections.set(text, (rejections.get(text) ?? 0) + 1);
    if (rejections.get(text) === 1) print.status(`warning: unhandled rejection in the service: ${text} (repeats are counted, not shown)`);
  };
  process.on('unhandledRejection', onRejection);

  // ---- the service, on its embedded defaults -------------------------------------------------
  const adminKey = generateApiKey().token;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    EMBEDDED_PG_PORT: String(o.pgPort),
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: '0',
    ADMIN_API_KEY: adminKey,
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: o.verbose ? 'log' : 'warn',
    // The virtual lab runs 100 000x faster than a real one: deadlines to match.
    JOB_TIMEOUT_MS: '60000',
    OFFLINE_GRACE_MS: '2000',
    SWEEP_INTERVAL_MS: '250',
    DISPATCH_MAX_ATTEMPTS: '5',
    SWAGGER: 'false',
  });
  print.status(`starting the service: embedded PostgreSQL in ${shortPath(dataDir)} (port ${o.pgPort}), embedded MQTT broker, in-process jobs ...`);
  let infra: Infrastructure | null = null;
  let app: INestApplication | null = null;
  let fleet: Fleet | null = null;
  let sniffer: MqttConnection | null = null;
  const feed = new AbortController();
  let instrumentsOffline: (() => Promise<void>) | null = null;
  let stopped = false;
  const stopAll = async () => {
    if (stopped) return;
    stopped = true;
    activeStop = null;
    feed.abort();
    await fleet?.stop().catch(() => undefined);
    // Let the service take the instruments' offline status in before its database goes away.
    await instrumentsOffline?.().catch(() => undefined);
    await sniffer?.close().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await infra?.close().catch(() => undefined);
    process.off('unhandledRejection', onRejection);
  };
  activeStop = stopAll;

  try {
    infra = await startInfrastructure(config, o.verbose ? (m) => print.status(m) : undefined);
    app = await createApp(infra, new DemoLogger({ logLevels: o.verbose ? ['error', 'warn', 'log'] : ['error', 'warn'] }));
    await startLab(app, infra);
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as { port: number }).port;
    const baseUrl = `http://127.0.0.1:${port}`;
    const brokerUrl = `mqtt://127.0.0.1:${infra.broker.url.split(':').pop()}`;
    const topics = new InstrumentTopics(config.mqtt.topicPrefix);
    const api = client(baseUrl, adminKey);
    const startupSeconds = (performance.now() - t0) / 1000;
    print.status(`service up in ${startupSeconds.toFixed(1)} s: API ${baseUrl}, broker ${brokerUrl} (topic prefix ${config.mqtt.topicPrefix})`);

    // Campaigns a previous, interrupted demo left running would compete for the instruments.
    const leftovers = await api('GET', '/api/v1/campaigns?status=running&limit=100');
    for (const c of leftovers.body.items ?? []) {
      if (String(c.name).startsWith('Demo:')) await api('POST', `/api/v1/campaigns/${c.id}/abort`);
    }

    // ---- the virtual laboratory, and a listener on the broker ---------------------------------
    const wire: WireMessage[] = [];
    sniffer = await MqttConnection.connect({ url: brokerUrl, clientId: `aimd-demo-sniffer-${process.pid}`, clean: true });
    sniffer.onMessage((topic, payload) => {
      if (wire.length < 20_000) wire.push({ at: new Date().toISOString(), topic, payload: payload.toString('utf8') });
    });
    await sniffer.subscribe(['jobs', 'events', 'results'].map((channel) => topics.filter(channel as 'jobs')));

    // Twice a batch's worth of slots: a design iteration always finds a full batch of free slots
    // (the loop sizes a batch to the free capacity), while the previous batch is still measured.
    const perInstrument = Math.max(1, Math.ceil((2 * o.batch) / o.instruments));
    fleet = await startFleet({
      url: brokerUrl,
      prefix: config.mqtt.topicPrefix,
      instruments: o.instruments,
      speed: o.speed,
      seed: o.seed,
      faultRate: o.faultRate,
      instrument: { maxConcurrentJobs: perInstrument },
      oracle: createLabOracle(o.oracle, o.seed, LAB),
      elements: [...LAB.space.elements],
      idPrefix: keepData ? `sim${Date.now().toString(36)}` : 'sim',
      log: o.verbose ? (e) => e.kind !== 'progress' && print.status(`  [lab] ${e.instrumentId} ${e.kind}${e.jobId ? ` ${e.jobId.slice(0, 8)}` : ''}${e.detail ? ` ${e.detail}` : ''}`) : undefined,
    });
    const oracle = fleet.oracle;
    const ids = fleet.instruments.map((i) => i.id);
    instrumentsOffline = () =>
      until('instruments offline', async () => {
        const list = (await api('GET', '/api/v1/instruments')).body;
        return Array.isArray(list) && ids.every((i) => list.some((x: { id: string; state: string }) => x.id === i && x.state === 'offline'));
      }, 5000);
    await until('instruments registered', async () => {
      const list = (await api('GET', '/api/v1/instruments')).body;
      return Array.isArray(list) && fleet!.instruments.every((i) => list.some((x: { id: string; state: string }) => x.id === i.id && x.state === 'online'));
    }, 30_000);
    print.status(
      `virtual lab: ${o.instruments} instruments x ${perInstrument} slots, speed x${o.speed} (a 6 h experiment in ${((6 * 3600) / o.speed).toFixed(2)} s), fault rate ${o.faultRate}`,
    );

    // ---- the campaign --------------------------------------------------------------------------
    const strategy: Record<string, unknown> = { method: o.strategy };
    if (o.episodes !== null && o.strategy === 'aimatdesign') strategy.episodesPerIteration = o.episodes;
    const created = await api('POST', '/api/v1/campaigns', {
      name: o.family === 'hea' ? `Demo: strong and ductile high-entropy alloy (seed ${o.seed})` : `Demo: strong and plastic Zr-based BMG (seed ${o.seed})`,
      description: 'npm run demo: virtual laboratory with a ground-truth oracle',
      ...(o.family === 'hea' ? labCampaignFields(LAB) : demoCampaignFields()),
      budget: o.budget,
      batchSize: o.batch,
      seed: o.seed,
      strategy,
    });
    if (created.status !== 201) throw new Error(`creating the campaign: ${created.status} ${JSON.stringify(created.body)}`);
    const id: string = created.body.id;

    const seeds =
      o.oracle === 'data'
        ? scenarioSeedAlloys('scarce', oracle, LAB, 'data', o.seed)
        : sampleSeedAlloys(oracle, DEMO_DESIGN_SPACE, o.seedAlloys, new Random(`demo-seed|${o.seed}`));
    const imported = await api(
      'POST',
      `/api/v1/campaigns/${id}/measurements/import`,
      // HEA seed rows go in without a phase: a crystalline-allowed campaign needs no glass labels.
      seeds.map((a) => ({
        composition: a.composition,
        ...(o.family === 'hea' ? {} : { phase: a.isGlass ? 'amorphous' : a.yieldStrengthMPa === null ? 'crystalline' : 'partially_crystalline' }),
        yieldStrengthMPa: a.yieldStrengthMPa,
        elongationPct: a.elongationPct,
      })),
    );
    if (imported.status !== 201) throw new Error(`importing seed data: ${imported.status} ${JSON.stringify(imported.body)}`);
    const seedSuccesses = seeds.filter((a) => (a.isGlass || LAB.requireGlass === false) && LAB.objectives.every((t) => (a[t.property] ?? -Infinity) >= t.threshold)).length;
    print.line(
      `campaign ${id}: ${o.strategy}${strategy.episodesPerIteration ? ` (${strategy.episodesPerIteration} training episodes in the first design iteration)` : ''}, budget ${o.budget} in batches of ${o.batch}`,
    );
    print.line(
      `targets: ${LAB.requireGlass === false ? 'crystalline allowed' : 'glass'}, yield strength >= ${LAB.objectives[0].threshold} MPa, elongation >= ${LAB.objectives[1].threshold} %; ` +
        `${seeds.length} seed alloys imported (${seedSuccesses} meet the targets)`,
    );
    const started = await api('POST', `/api/v1/campaigns/${id}/start`);
    if (started.status !== 200) throw new Error(`starting the campaign: ${started.status} ${JSON.stringify(started.body)}`);
    const tCampaign = performance.now();

    // ---- follow it: SSE live feed + progress report -----------------------------------------
    const useBar = !o.noBar && process.stderr.isTTY === true;
    const multibar = useBar
      ? new cliProgress.MultiBar(
          { format: ' {bar} {value}/{total} measured | batch {batch} | best {best} | success {rate} | {elapsed}s', hideCursor: true, clearOnComplete: false, stopOnComplete: false, barsize: 28, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : null;
    const bar = multibar?.create(o.budget, 0, { batch: '-', best: '-', rate: '-', elapsed: '0' });
    const live = (text: string) => (multibar ? multibar.log(`${text}\n`) : print.line(text));

    let wake: (() => void) | null = null;
    const nudge = () => wake?.();
    void followFeed(baseUrl, adminKey, id, feed.signal, (event) => {
      if (event.type === 'proposals.created') live(`  batch ${event.batchNumber}: ${event.count} proposal(s) from ${o.strategy}, dispatched to the lab`);
      nudge();
    });

    const reported = new Set<number>();
    let report: ProgressReport | null = null;
    const deadline = Date.now() + o.timeoutMinutes * 60_000;
    for (;;) {
      report = (await api('GET', `/api/v1/campaigns/${id}/progress`)).body as ProgressReport;
      const experiments = await listExperiments(api, id);
      const batches = new Map<number, DemoExperiment[]>();
      for (const e of experiments) batches.set(e.batchNumber, [...(batches.get(e.batchNumber) ?? []), e]);
      const done = report.campaign.status === 'completed' || report.campaign.status === 'aborted';
      for (const [b, list] of [...batches].sort((x, y) => x[0] - y[0])) {
        if (reported.has(b) || !(list.every((e) => TERMINAL.has(e.status)) || done)) continue;
        reported.add(b);
        live(batchLine(b, list, experiments, report));
      }
      const rate = report.success.overall.rate;
      bar?.update(report.budget.measured, {
        batch: String(Math.max(0, ...batches.keys())),
        best: bestText(report),
        rate: rate === null ? '-' : `${(rate * 100).toFixed(0)}%`,
        elapsed: ((performance.now() - tCampaign) / 1000).toFixed(0),
      });
      if (done) break;
      if (Date.now() > deadline) {
        live(`timed out after ${o.timeoutMinutes} min: aborting the campaign`);
        await api('POST', `/api/v1/campaigns/${id}/abort`);
        report = (await api('GET', `/api/v1/campaigns/${id}/progress`)).body as ProgressReport;
        break;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        wake = () => {
          clearTimeout(timer);
          setTimeout(resolve, 150); // let the burst settle
        };
      });
      wake = null;
    }
    multibar?.stop();
    feed.abort();
    const campaignSeconds = (performance.now() - tCampaign) / 1000;

    // ---- the report --------------------------------------------------------------------------
    const tReport = performance.now();
    const campaign = (await api('GET', `/api/v1/campaigns/${id}`)).body;
    const experiments = await listExperiments(api, id);
    mkdirSync(outDir, { recursive: true });
    const files: string[] = [];
    const write = (name: string, data: string | Buffer) => {
      writeFileSync(path.join(outDir, name), data);
      files.push(path.join(outDir, name));
    };
    const csv = await api('GET', `/api/v1/campaigns/${id}/export/experiments.csv`);
    write('experiments.csv', typeof csv.body === 'string' ? csv.body : JSON.stringify(csv.body));
    const plots: [PlotKind, string][] = [
      ['best-so-far', 'Best so far by experiment number'],
      ['pareto', 'Yield strength vs elongation: Pareto front and targets'],
      ['success-rate', 'Success rate per batch'],
      ['model-quality', 'Surrogate cross-validation per model version'],
      ['training', "The agent's training curves per design iteration"],
    ];
    for (const [kind] of plots) {
      write(`${kind}.svg`, await renderPlot(kind, report, 'svg'));
      write(`${kind}.png`, await renderPlot(kind, report, 'png'));
    }
    const oneJob = oneExperimentOnTheWire(wire);
    write('mqtt-one-experiment.md', wireMarkdown(oneJob));
    write('mqtt-log.jsonl', wire.map((m) => JSON.stringify(m)).join('\n') + '\n');
    const measuredRows = experiments.filter((e) => e.status === 'measured');
    const successes = measuredRows.filter((e) => e.meetsObjectives).length;
    const best = bestAlloys(experiments, 5);
    const seconds = {
      startup: startupSeconds,
      campaign: campaignSeconds,
      report: (performance.now() - tReport) / 1000,
      total: (performance.now() - t0) / 1000,
    };
    const md = reportMarkdown({ o, id, campaign, report, experiments, best, plots, seconds, seeds: seeds.length, seedSuccesses, oneJob });
    write('report.md', md);
    seconds.total = (performance.now() - t0) / 1000;

    // ---- the console report ------------------------------------------------------------------
    print.line('');
    print.line(`Campaign ${campaign.status}${campaign.completionReason ? `: ${campaign.completionReason}` : ''} in ${campaignSeconds.toFixed(0)} s`);
    print.line('');
    for (const l of experimentTable(experiments)) print.line(l);
    print.line('');
    print.line(
      `success rate: ${successes}/${measuredRows.length} measured experiments meet every target` +
        (measuredRows.length ? ` (${((100 * successes) / measuredRows.length).toFixed(1)} %)` : '') +
        ` | seed data: ${seedSuccesses}/${seeds.length}`,
    );
    print.line(`hypervolume beyond the targets: ${report.pareto.hypervolume.toFixed(1)} MPa·% (seed data: ${report.pareto.seedHypervolume.toFixed(1)})`);
    print.line('best alloys found:');
    for (const l of bestTable(best)) print.line(`  ${l}`);
    print.line('');
    print.line(`report: ${shortPath(outDir)}/`);
    for (const f of files) print.line(`  ${path.basename(f)}`);
    print.line(`time: service start ${seconds.startup.toFixed(1)} s, campaign ${seconds.campaign.toFixed(1)} s, report ${seconds.report.toFixed(1)} s, total ${seconds.total.toFixed(1)} s`);

    const result: DemoResult = {
      ok: campaign.status === 'completed',
      campaignId: id,
      status: campaign.status,
      completionReason: campaign.completionReason ?? null,
      outDir,
      files,
      experiments,
      measured: measuredRows.length,
      successes,
      successRate: measuredRows.length ? successes / measuredRows.length : null,
      seconds,
      wire: oneJob,
    };
    for (const [text, n] of rejections) if (n > 1) print.status(`warning: "${text}" happened ${n} times in the service`);
    print.status('stopping: instruments offline, service down ...');
    await stopAll();
    return result;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * Nest's console logger without the start-up notes about decorator metadata: tsx (which runs
 * this script) does not emit it, every injection here is explicit, and the notes would bury the demo.
 */
class DemoLogger extends ConsoleLogger {
  constructor(options: { logLevels: LogLevel[] }) {
    super('Demo', options);
  }
  override warn(message: unknown, ...rest: unknown[]): void {
    if (rest.includes('ContextUtils')) return;
    super.warn(message, ...rest);
  }
}

// ---------------------------------------------------------------------------------------------
// API helpers

type Api = (method: string, route: string, body?: unknown) => Promise<{ status: number; body: any }>;

/**
 * The API with the admin key. The agent trains in this process and holds the event loop for
 * seconds at a time, so a GET that cannot connect meanwhile is tried again (for up to a minute).
 */
function client(baseUrl: string, key: string): Api {
  return async (method, route, body) => {
    const send = () =>
      fetch(`${baseUrl}${route}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    let res: Response | undefined;
    for (let attempt = 1; !res; attempt++) {
      try {
        res = await send();
      } catch (error) {
        if (method !== 'GET' || attempt >= 30) throw error;
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: text };
    }
  };
}

async function listExperiments(api: Api, id: string): Promise<DemoExperiment[]> {
  const rows = await api('GET', `/api/v1/campaigns/${id}/export/experiments.json`);
  if (rows.status !== 200 || !Array.isArray(rows.body)) throw new Error(`listing experiments: ${rows.status} ${JSON.stringify(rows.body).slice(0, 300)}`);
  return rows.body
    .map((e: any) => ({
      sequence: e.sequence,
      batchNumber: e.batchNumber,
      status: e.status,
      formula: e.formula,
      instrumentId: e.measurement?.instrumentId ?? e.instrumentId ?? null,
      attempts: e.attempts ?? 0,
      phase: e.measurement?.phase ?? null,
      isGlass: e.measurement?.isGlass ?? null,
      yieldStrengthMPa: e.measurement?.yieldStrengthMPa ?? null,
      elongationPct: e.measurement?.elongationPct ?? null,
      meetsObjectives: e.meetsObjectives ?? null,
    }))
    .sort((a: DemoExperiment, b: DemoExperiment) => a.sequence - b.sequence);
}

/** Reads the campaign's SSE feed until aborted; each `data:` line is one event. */
async function followFeed(baseUrl: string, key: string, id: string, signal: AbortSignal, onEvent: (e: any) => void): Promise<void> {
  try {
    const res = await fetch(`${baseUrl}/api/v1/campaigns/${id}/events`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal });
    if (!res.ok || !res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of frame.split('\n')) {
          if (!line.startsWith('data:')) continue;
          try {
            onEvent(JSON.parse(line.slice(5)));
          } catch {
            // not an event
          }
        }
      }
    }
  } catch {
    // aborted at the end, or the feed is unavailable: the progress poll carries on alone
  }
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// Report pieces

/** True when postmaster.pid in the cluster folder names a live process. */
function clusterRunning(clusterDir: string): boolean {
  try {
    const pid = Number(readFileSync(path.join(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Relative to the working directory when inside it. */
function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

const fmt = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '-' : v.toFixed(digits));

function bestText(report: ProgressReport): string {
  return report.bestSoFar.map((b) => `${b.property === 'yieldStrengthMPa' ? `${fmt(b.best)} MPa` : `${fmt(b.best, 1)} %`}`).join(', ');
}

function batchLine(batch: number, list: DemoExperiment[], all: DemoExperiment[], report: ProgressReport): string {
  const measured = list.filter((e) => e.status === 'measured');
  const hits = measured.filter((e) => e.meetsObjectives).length;
  // Best so far and the success rate over everything measured by now (batches can finish out of order).
  const upTo = all.filter((e) => e.status === 'measured');
  const glass = (e: DemoExperiment) => e.isGlass === true;
  const bestYield = Math.max(-Infinity, ...upTo.filter(glass).map((e) => e.yieldStrengthMPa ?? -Infinity));
  const bestElong = Math.max(-Infinity, ...upTo.filter(glass).map((e) => e.elongationPct ?? -Infinity));
  const allHits = upTo.filter((e) => e.meetsObjectives).length;
  const other = list.length - measured.length;
  return (
    `batch ${String(batch).padStart(2)}: ${measured.length}/${list.length} measured${other ? ` (${other} ${list.filter((e) => e.status !== 'measured').map((e) => e.status).join(', ')})` : ''}, ` +
    `${hits} meet the targets | best so far: yield ${Number.isFinite(bestYield) ? bestYield.toFixed(0) : '-'} MPa, elongation ${Number.isFinite(bestElong) ? bestElong.toFixed(2) : '-'} % | ` +
    `success rate ${upTo.length ? ((100 * allHits) / upTo.length).toFixed(1) : '-'} % (${allHits}/${upTo.length}) | ${report.budget.measured}/${report.budget.budget} of the budget`
  );
}

function score(e: DemoExperiment): number {
  const alloy: MeasuredAlloy = { composition: {}, isGlass: e.isGlass, yieldStrengthMPa: e.yieldStrengthMPa, elongationPct: e.elongationPct };
  return fitness(alloy, { requireGlass: LAB.requireGlass ?? true, targets: LAB.objectives.map((t) => ({ ...t, weight: 1 })) });
}

function bestAlloys(experiments: DemoExperiment[], n: number): (DemoExperiment & { score: number })[] {
  return experiments
    .filter((e) => e.status === 'measured')
    .map((e) => ({ ...e, score: score(e) }))
    .sort((a, b) => b.score - a.score || a.sequence - b.sequence)
    .slice(0, n);
}

function phaseText(e: DemoExperiment): string {
  if (e.status !== 'measured') return '';
  if (e.phase) return e.phase === 'partially_crystalline' ? 'partly cryst.' : e.phase;
  return e.isGlass === true ? 'amorphous' : 'crystalline';
}

function experimentTable(experiments: DemoExperiment[]): string[] {
  const head = ['#', 'batch', 'formula', 'state', 'phase', 'yield MPa', 'elong. %', 'targets'];
  const rows = experiments.map((e) => [
    String(e.sequence),
    String(e.batchNumber),
    e.formula,
    e.status,
    phaseText(e),
    fmt(e.yieldStrengthMPa),
    fmt(e.elongationPct, 2),
    e.status !== 'measured' ? '' : e.meetsObjectives ? 'yes ✓' : 'no',
  ]);
  return table(head, rows, [true, true, false, false, false, true, true, false]);
}

function bestTable(best: (DemoExperiment & { score: number })[]): string[] {
  return table(
    ['#', 'formula', 'yield MPa', 'elong. %', 'score', 'targets'],
    best.map((e) => [String(e.sequence), e.formula, fmt(e.yieldStrengthMPa), fmt(e.elongationPct, 2), e.score.toFixed(2), e.meetsObjectives ? 'yes ✓' : 'no']),
    [true, false, true, true, true, false],
  );
}

function table(head: string[], rows: string[][], right: boolean[]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}

function mdTable(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The messages of the first job that went dispatch -> accepted -> started -> progress -> result without a fault. */
export function oneExperimentOnTheWire(wire: WireMessage[]): WireMessage[] {
  const byJob = new Map<string, WireMessage[]>();
  for (const m of wire) {
    let jobId: string | undefined;
    try {
      jobId = JSON.parse(m.payload).jobId;
    } catch {
      continue;
    }
    if (!jobId) continue;
    byJob.set(jobId, [...(byJob.get(jobId) ?? []), m]);
  }
  for (const messages of byJob.values()) {
    const types = messages.map((m) => (m.topic.endsWith('/results') ? 'result' : (JSON.parse(m.payload).type as string)));
    const clean = types.includes('job.dispatch') && types.includes('job.accepted') && types.includes('job.started') && types.includes('job.progress') && types.filter((t) => t === 'result').length === 1 && !types.some((t) => ['job.failed', 'job.rejected', 'job.cancel'].includes(t));
    if (clean) return messages;
  }
  return [...byJob.values()][0] ?? [];
}

export function wireMarkdown(messages: WireMessage[]): string {
  const parts = ['# One experiment on the wire', '', 'Every MQTT message of one experiment, as captured on the broker during this demo run (topic, then payload).', ''];
  for (const m of messages) {
    let pretty = m.payload;
    try {
      pretty = JSON.stringify(JSON.parse(m.payload), null, 2);
    } catch {
      // as it came
    }
    parts.push(`\`${m.topic}\` (${m.at})`, '', '```json', pretty, '```', '');
  }
  return parts.join('\n');
}

function reportMarkdown(r: {
  o: DemoOptions;
  id: string;
  campaign: any;
  report: ProgressReport;
  experiments: DemoExperiment[];
  best: (DemoExperiment & { score: number })[];
  plots: [PlotKind, string][];
  seconds: DemoResult['seconds'];
  seeds: number;
  seedSuccesses: number;
  oneJob: WireMessage[];
}): string {
  const { o, report } = r;
  const measured = r.experiments.filter((e) => e.status === 'measured');
  const hits = measured.filter((e) => e.meetsObjectives).length;
  const lines = [
    `# AIMatDesign demo campaign`,
    '',
    `- campaign \`${r.id}\`: **${r.campaign.status}**${r.campaign.completionReason ? ` (${r.campaign.completionReason})` : ''}`,
    `- strategy \`${o.strategy}\`${o.strategy === 'aimatdesign' && o.episodes !== null ? ` (${o.episodes} training episodes in the first design iteration)` : ''}; budget ${o.budget}, batches of ${o.batch}; seed ${o.seed}`,
    `- design space (${o.family}): ${LAB.space.elements.map((el) => `${el} ${LAB.space.bounds[el].min}-${LAB.space.bounds[el].max}`).join(', ')} at.%, step ${LAB.space.step}, ${LAB.space.minElements}-${LAB.space.maxElements} elements${LAB.space.baseElement ? `, ${LAB.space.baseElement} largest` : ''}`,
    `- targets: ${LAB.requireGlass === false ? 'crystalline allowed' : 'glass formed'}, yield strength >= ${LAB.objectives[0].threshold} MPa, elongation >= ${LAB.objectives[1].threshold} %`,
    `- virtual lab: ${o.instruments} instruments, speed x${o.speed}, fault rate ${o.faultRate}; ground truth: ${o.oracle === 'data' ? 'simulators/data-oracle.ts (the published measurements)' : 'simulators/oracle.ts'} (seed ${o.seed})`,
    `- seed data: ${r.seeds} ${o.oracle === 'data' ? 'published alloys of the space that miss the targets' : 'alloys sampled from the oracle'}, ${r.seedSuccesses} meeting the targets`,
    '',
    '## Results',
    '',
    `- success rate: **${hits}/${measured.length}** measured experiments meet every target${measured.length ? ` (${((100 * hits) / measured.length).toFixed(1)} %)` : ''}`,
    ...report.bestSoFar.map((b) => `- best ${b.property}: ${fmt(b.best, b.property === 'elongationPct' ? 2 : 0)} (experiment #${b.bestSequence ?? '-'}; best seed ${fmt(b.seedBest, b.property === 'elongationPct' ? 2 : 0)})`),
    `- hypervolume beyond the targets: ${report.pareto.hypervolume.toFixed(1)} MPa·% (seed data ${report.pareto.seedHypervolume.toFixed(1)})`,
    `- time: service start ${r.seconds.startup.toFixed(1)} s, campaign ${r.seconds.campaign.toFixed(1)} s`,
    '',
    '### Best alloys',
    '',
    mdTable(['#', 'formula', 'yield MPa', 'elongation %', 'min-normalised score', 'meets targets'], r.best.map((e) => [String(e.sequence), e.formula, fmt(e.yieldStrengthMPa), fmt(e.elongationPct, 2), e.score.toFixed(2), e.meetsObjectives ? '✓' : ''])),
    '',
    '## Plots',
    '',
    ...r.plots.flatMap(([kind, title]) => [`### ${title}`, '', `![${title}](${kind}.png) ([SVG](${kind}.svg))`, '']),
    '## Experiments',
    '',
    mdTable(
      ['#', 'batch', 'formula', 'state', 'phase', 'instrument', 'yield MPa', 'elongation %', 'meets targets'],
      r.experiments.map((e) => [String(e.sequence), String(e.batchNumber), e.formula, e.status, phaseText(e), e.instrumentId ?? '', fmt(e.yieldStrengthMPa), fmt(e.elongationPct, 2), e.status === 'measured' ? (e.meetsObjectives ? '✓' : '✗') : '']),
    ),
    '',
    `Also here: experiments.csv (the API's export), mqtt-one-experiment.md (${r.oneJob.length} MQTT messages of one experiment).`,
    '',
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  let options: DemoOptions | 'help';
  try {
    options = parseDemoArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${DEMO_USAGE}`);
    process.exit(2);
  }
  if (options === 'help') {
    console.log(DEMO_USAGE);
    return;
  }
  let stopping = false;
  process.on('SIGINT', () => {
    if (stopping || !activeStop) process.exit(130); // a second Ctrl-C does not wait
    stopping = true;
    console.error('\ninterrupted: stopping the lab, the service and its database (Ctrl-C again to quit at once) ...');
    void activeStop().finally(() => process.exit(130));
  });
  const result = await runDemo(options);
  process.exit(result.ok ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error) => {
    console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : JSON.stringify(error) ?? String(error)}`);
    process.exit(1);
  });
}
