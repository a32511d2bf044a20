import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, freePort, ROOT } from '../support/processes.js';

/** When the embedded PostgreSQL cannot start, the service says why in one line and exits 1 (no stack). */
describe('embedded PostgreSQL that cannot start', () => {
  it('stops the service with one line naming the cause and DATABASE_URL', async () => {
    ensureBuilt();
    const [port, pgPort] = [await freePort(), await freePort()];
    const run = spawnSync(process.execPath, ['dist/src/main.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), MQTT_PORT: '0', DATA_DIR: '/dev/null/aimd' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status).toBe(1);
    const failure = run.stderr.split('\n').filter((l) => l.includes('start-up failed'));
    expect(failure).toHaveLength(1);
    expect(failure[0]).toMatch(/^start-up failed: embedded PostgreSQL cannot start: .*\/dev\/null.* \(or set DATABASE_URL to use a PostgreSQL server\)$/);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
