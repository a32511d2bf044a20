/**
 * Throwaway servers and service processes for the fault tests and `npm run bench:faults`:
 * a Mosquitto, a Redis and a PostgreSQL of our own on free ports (never the machine's, which other
 * tests and people use), and the service itself as a child process (`node dist/src/main.js`) so it
 * can be SIGKILLed. Everything started here is killed on `stop()`, and synchronously on process
 * exit if a test dies before its cleanup ran.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../adapters/storage/embedded-postgres.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MACHINE_POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const MACHINE_REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const MACHINE_MQTT = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const unique = (prefix: string) => `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

// ---------------------------------------------------------------------------------------------
// Cleanup on exit: children are SIGKILLed and temp dirs removed even when a test throws.
// ---------------------------------------------------------------------------------------------

const exitHooks = new Set<() => void>();
let hooked = false;
function onExit(fn: () => void): () => void {
  if (!hooked) {
    hooked = true;
    const runAll = () => {
      for (const f of [...exitHooks]) {
        try {
          f();
        } catch {
          // best effort
        }
      }
      exitHooks.clear();
    };
    process.on('exit', runAll);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        runAll();
        process.exit(130);
      });
    }
  }
  exitHooks.add(fn);
  return () => exitHooks.delete(fn);
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  const unhook = onExit(remove);
  return {
    dir,
    remove: () => {
      unhook();
      remove();
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, child?: { output(): string; exited(): boolean }): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (child?.exited()) throw new Error(`${what}: the process exited\n${child.output()}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${child ? `\n${child.output()}` : ''}`);
    await sleep(100);
  }
}

/** A child process whose output is kept (last 20 kB) and which dies with us. */
class Child {
  private out = '';
  private unhook: () => void;
  readonly exit: Promise<number | null>;
  constructor(readonly name: string, readonly proc: ChildProcess) {
    proc.stdout?.on('data', (d) => (this.out = (this.out + d).slice(-20_000)));
    proc.stderr?.on('data', (d) => (this.out = (this.out + d).slice(-20_000)));
    this.exit = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    this.unhook = onExit(() => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    });
    void this.exit.then(() => this.unhook());
  }
  output = () => this.out;
  exited = () => this.proc.exitCode !== null || this.proc.signalCode !== null;
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (this.exited()) return;
    this.proc.kill(signal);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Mosquitto, Redis, PostgreSQL of our own
// ---------------------------------------------------------------------------------------------

export interface OwnServer {
  url: string;
  port: number;
  /** Stop it (SIGKILL by default: a crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Start it again on the same port (and data folder). */
  start(): Promise<void>;
  /** Stop for good and remove its files. */
  dispose(): Promise<void>;
}

/** Mosquitto on a free port, persistence off: a restart forgets every session and queued message. */
export async function startMosquitto(): Promise<OwnServer> {
  const port = await freePort();
  const tmp = tempDir('aimd-mosquitto');
  const conf = path.join(tmp.dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nmax_queued_messages 100000\n`);
  return startOwnProcess('mosquitto', 'mqtt', port, tmp, ['-c', conf]);
}

/** redis-server on a free port, no RDB or AOF: a restart starts empty. */
export async function startRedis(): Promise<OwnServer> {
  const port = await freePort();
  const tmp = tempDir('aimd-redis');
  return startOwnProcess('redis-server', 'redis', port, tmp, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', tmp.dir]);
}

/** A server program of our own on `port` (restartable; files in `tmp`, removed on dispose). */
async function startOwnProcess(program: string, scheme: string, port: number, tmp: ReturnType<typeof tempDir>, args: string[]): Promise<OwnServer> {
  let child: Child | null = null;
  const server: OwnServer = {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    start: async () => {
      child = new Child(program, spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
      const c = child;
      await waitFor(`${program} on ${port}`, () => portOpen(port), 15_000, c);
    },
    stop: async (signal = 'SIGKILL') => {
      await child?.kill(signal);
      child = null;
    },
    dispose: async () => {
      await server.stop();
      tmp.remove();
    },
  };
  await server.start();
  return server;
}

/** A PostgreSQL cluster of our own (embedded-postgres binaries) in a temp folder on a free port. */
export async function startOwnPostgres(): Promise<OwnServer> {
  const port = await freePort();
  const tmp = tempDir('aimd-pg');
  chmodSync(tmp.dir, 0o755); // as root the cluster runs as the postgres user, which must reach it
  let handle: EmbeddedPostgresHandle | null = null;
  let unhook: () => void = () => undefined;
  const killPostmaster = () => {
    // Synchronous, for process exit: the postmaster's pid is the first line of postmaster.pid.
    if (!handle) return;
    const pidFile = path.join(handle.dataDir, 'postmaster.pid');
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // gone
      }
    }
  };
  let url = '';
  const server: OwnServer = {
    get url() {
      return url;
    },
    port,
    start: async () => {
      handle = await startEmbeddedPostgres({ dataDir: tmp.dir, port });
      url = handle.url;
      unhook = onExit(killPostmaster);
    },
    stop: async (signal = 'SIGKILL') => {
      if (!handle) return;
      if (signal === 'SIGKILL') {
        // A crash of the database server: immediate shutdown of the postmaster.
        killPostmaster();
        await waitFor('postgres down', async () => !(await portOpen(port)), 15_000);
        // embedded-postgres' stop() waits for an exit it has already seen: don't wait long.
        await Promise.race([handle.stop().catch(() => undefined), sleep(1000)]);
      } else {
        await handle.stop();
      }
      unhook();
      handle = null;
    },
    dispose: async () => {
      await server.stop('SIGTERM').catch(() => server.stop('SIGKILL'));
      tmp.remove();
    },
  };
  await server.start();
  return server;
}

/** A fresh database on the machine's PostgreSQL. */
export async function machineDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = unique('aimd_fault');
  const admin = new pg.Client({ connectionString: MACHINE_POSTGRES });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(MACHINE_POSTGRES);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: MACHINE_POSTGRES });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The service as a child process
// ---------------------------------------------------------------------------------------------

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

let built = false;
/** Builds dist/ (npm run build) when it is missing or older than the sources it is made from. */
export function ensureBuilt(log: (m: string) => void = () => undefined): void {
  if (built) return;
  const main = path.join(ROOT, 'dist/src/main.js');
  const sources = Math.max(...['src', 'adapters', 'migrations', 'simulators'].map((d) => newestMtime(path.join(ROOT, d))));
  if (!existsSync(main) || statSync(main).mtimeMs < sources) {
    log('building dist/ (npm run build): missing or older than the sources');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  }
  built = true;
}

export interface ServiceProcess {
  baseUrl: string;
  env: Record<string, string>;
  output(): string;
  exited(): boolean;
  /** SIGTERM (graceful) or SIGKILL (crash). */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const PASS_THROUGH = ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_OPTIONS'];

/** `node dist/src/main.js` with this environment; resolves once /health answers 200. */
export async function startService(env: Record<string, string>, options: { healthy?: boolean; timeoutMs?: number } = {}): Promise<ServiceProcess> {
  ensureBuilt();
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const fullEnv: Record<string, string> = {
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '0',
    ...Object.fromEntries(PASS_THROUGH.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!])),
    ...env,
    PORT: String(port),
  };
  const child = new Child('service', spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  const baseUrl = `http://127.0.0.1:${port}`;
  const wantHealthy = options.healthy ?? true;
  await waitFor(
    `service on ${port}`,
    async () => {
      const r = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(3000) });
      return wantHealthy ? r.status === 200 : true;
    },
    options.timeoutMs ?? 60_000,
    child,
  );
  return { baseUrl, env: { ...env, PORT: String(port) }, output: child.output, exited: child.exited, stop: (signal = 'SIGTERM') => child.kill(signal, 10_000) };
}

/**
 * `SERVICE_ROLE=worker node dist/src/main.js` (what `npm run worker` runs) with this environment;
 * a worker opens no HTTP port, so it is ready when its log says it runs background jobs.
 */
export async function startWorkerProcess(env: Record<string, string>, options: { timeoutMs?: number } = {}): Promise<Omit<ServiceProcess, 'baseUrl'>> {
  ensureBuilt();
  const fullEnv: Record<string, string> = {
    HOST: '127.0.0.1',
    RATE_LIMIT_PER_MINUTE: '0',
    ...Object.fromEntries(PASS_THROUGH.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!])),
    ...env,
    LOG_LEVEL: 'log',
    SERVICE_ROLE: 'worker',
  };
  const child = new Child('worker', spawn(process.execPath, ['dist/src/main.js'], { cwd: ROOT, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] }));
  await waitFor('worker ready', async () => /worker: running background jobs/.test(child.output()), options.timeoutMs ?? 60_000, child);
  return { env, output: child.output, exited: child.exited, stop: (signal = 'SIGTERM') => child.kill(signal, 10_000) };
}
