import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, sleep } from '../support/processes.js';
import { SHARED_DATA } from '../support/services.js';

/**
 * The README's first hour on a fresh clone: `git clone` of this checkout (with its uncommitted
 * changes to tracked files, via `git stash create`) into a new `mktemp -d` folder (mode 0700: as
 * root, closed to the postgres user), `npm ci && npm start` until /health answers 200; then the
 * README's walk-through block, with the bootstrap key read from the start-up log as a user would;
 * then SIGTERM. Ports of its own so it collides with nothing.
 */
describe('a fresh clone: npm ci && npm start, then the README walk-through', () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'aimd-clone-'));
  const clone = path.join(parent, 'repo');
  let output = '';
  let baseUrl = '';
  let child: ReturnType<typeof spawn> | null = null;
  let exited: Promise<void> = Promise.resolve();
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    process.kill(-child.pid!, 'SIGTERM'); // the whole group: bash, npm, node
    await Promise.race([exited, sleep(15_000)]);
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
  };

  afterAll(async () => {
    await stop();
    rmSync(parent, { recursive: true, force: true });
    // the fallback folder of a root run (data folder + copied programs), named after the clone's data folder
    const hash = createHash('sha1').update(path.join(clone, '.data', 'postgres')).digest('hex').slice(0, 12);
    rmSync(`/var/tmp/aimatdesign-${hash}`, { recursive: true, force: true });
  });

  it('starts and answers /health in a 0700 temp folder', { timeout: 240_000 }, async () => {
    expect(statSync(parent).mode & 0o777).toBe(0o700);
    const snapshot = execFileSync('git', ['stash', 'create'], { cwd: ROOT }).toString().trim() || 'HEAD';
    execFileSync('git', ['clone', '--quiet', '--no-checkout', ROOT, clone]);
    execFileSync('git', ['fetch', '--quiet', ROOT, snapshot], { cwd: clone });
    execFileSync('git', ['checkout', '--quiet', 'FETCH_HEAD'], { cwd: clone });

    const [port, pgPort, mqttPort] = [await freePort(), await freePort(), await freePort()];
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      MQTT_PORT: String(mqttPort),
      HOST: '127.0.0.1',
      // the same command; npm only skips re-validating its cache and the audit/fund chatter
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
    };
    const proc = spawn('bash', ['-c', 'npm ci && npm start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (output += d.toString()));
    exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    baseUrl = `http://127.0.0.1:${port}`;

    let health: { status?: string; database?: { mode?: string; detail?: string } } | undefined;
    const end = Date.now() + 200_000;
    while (!health) {
      if (proc.exitCode !== null) throw new Error(`npm ci && npm start exited with ${proc.exitCode}:\n${output.slice(-4000)}`);
      if (Date.now() > end) throw new Error(`no /health after 200 s:\n${output.slice(-4000)}`);
      const r = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      if (r?.status === 200) health = (await r.json()) as typeof health;
      else await sleep(500);
    }
    expect(health).toMatchObject({ status: 'ok', database: { mode: 'embedded' } });
    expect(output).not.toMatch(/EBADENGINE/);
    expect(output).not.toMatch(/\x1b\[/); // piped: no colour codes
    expect(output).toMatch(/listening on http:\S+ \(API docs http:\S+\/docs, dashboard http:\S+\/dashboard, health http:\S+\/health\)/);
    if (userInfo().uid === 0) {
      // the clone is closed to the postgres user: data folder and programs under /var/tmp, said in the log
      expect(health.database?.detail).toMatch(/\/var\/tmp\/aimatdesign-[0-9a-f]{12}\/postgres/);
      expect(output).toMatch(/running the PostgreSQL programs copied to \/var\/tmp\/aimatdesign-/);
    }
  });

  it("runs the README's walk-through: key, campaign created, seeded, started, followed", { timeout: 240_000 }, () => {
    expect(baseUrl).not.toBe('');
    const key = /BOOTSTRAP ADMIN API KEY[^\n]*\n\s*(aimd_\S+)/.exec(output)?.[1];
    expect(key, 'the bootstrap key in the start-up log').toBeTruthy();
    const readme = readFileSync(path.join(clone, 'README.md'), 'utf8');
    const block = /<!-- walkthrough[^>]*-->\s*```bash\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'the walk-through block in the README').toBeTruthy();

    const run = spawnSync('bash', ['-eu', '-o', 'pipefail', '-c', block!], {
      cwd: clone,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, AIMD: baseUrl, KEY: key!, DATA: SHARED_DATA.replace(/\/$/, '') },
      encoding: 'utf8',
      timeout: 220_000,
    });
    const said = `${run.stdout}\n${run.stderr}`;
    expect(run.status, said).toBe(0);
    expect(run.stdout).toMatch(/^key bootstrap-admin: role admin$|^key .+: role admin$/m);
    const campaign = /^campaign ([0-9a-f-]{36})$/m.exec(run.stdout)?.[1];
    expect(campaign, said).toBeTruthy();
    expect(run.stdout).toMatch(/^seed rows kept: 1261, rejected: 1$/m);
    expect(run.stdout).toMatch(/^status: running$/m);
    expect(run.stdout).toMatch(/^#1 Zr\S* proposed|^#1 Zr\S* queued/m);
    expect(run.stdout).toMatch(/^experiments: \{.*\}; measurements: \{"seed":1261.*\}$/m);
    expect(run.stdout).toContain(`: campaign ${campaign} live feed`);
  });

  it('stops on SIGTERM', { timeout: 30_000 }, async () => {
    await stop();
    expect(output).toMatch(/SIGTERM: shutting down/);
  });
});
