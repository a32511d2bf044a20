import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ROOT, sleep } from '../support/processes.js';

/**
 * The README's first command on a fresh clone: `git clone` of this checkout (with its uncommitted
 * changes to tracked files, via `git stash create`) into a new `mktemp -d` folder (mode 0700: as
 * root, closed to the postgres user), then `npm ci && npm start` until /health answers 200, then
 * SIGTERM. Ports of its own so it collides with nothing.
 */
describe('a fresh clone: npm ci && npm start', () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'aimd-clone-'));
  const clone = path.join(parent, 'repo');
  let output = '';
  let stop: () => Promise<void> = async () => undefined;

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
    const child = spawn('bash', ['-c', 'npm ci && npm start'], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    stop = async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      process.kill(-child.pid!, 'SIGTERM'); // the whole group: bash, npm, node
      await Promise.race([exited, sleep(15_000)]);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    };

    let health: { status?: string; database?: { mode?: string; detail?: string } } | undefined;
    const end = Date.now() + 200_000;
    while (!health) {
      if (child.exitCode !== null) throw new Error(`npm ci && npm start exited with ${child.exitCode}:\n${output.slice(-4000)}`);
      if (Date.now() > end) throw new Error(`no /health after 200 s:\n${output.slice(-4000)}`);
      const r = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      if (r?.status === 200) health = (await r.json()) as typeof health;
      else await sleep(500);
    }
    expect(health).toMatchObject({ status: 'ok', database: { mode: 'embedded' } });
    expect(output).not.toMatch(/EBADENGINE/);
    if (userInfo().uid === 0) {
      // the clone is closed to the postgres user: data folder and programs under /var/tmp, said in the log
      expect(health.database?.detail).toMatch(/\/var\/tmp\/aimatdesign-[0-9a-f]{12}\/postgres/);
      expect(output).toMatch(/running the PostgreSQL programs copied to \/var\/tmp\/aimatdesign-/);
    }
    await stop();
    expect(output).toMatch(/SIGTERM: shutting down/);
  });
});
