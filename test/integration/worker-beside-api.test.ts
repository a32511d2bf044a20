import { chmodSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { demoCampaign, seedRows, until } from '../support/closed-loop.js';
import { freePort, startService, startWorkerProcess, tempDir, type ServiceProcess } from '../support/processes.js';
import { api, REDIS_URL, TEST_ADMIN_API_KEY, uniqueName } from '../support/services.js';

/**
 * `npm run worker` beside the API on one machine, both with the same environment (embedded
 * PostgreSQL and broker, only REDIS_URL added): the worker opens no HTTP port (so no EADDRINUSE on
 * the API's PORT), uses the API's PostgreSQL cluster and broker, and runs the campaign's first
 * design iteration; before it starts, the API says in its log that the job waits for a worker.
 */
describe('a worker beside the API', () => {
  const data = tempDir('aimd-worker-beside');
  chmodSync(data.dir, 0o755); // as root the cluster runs as the postgres user, which must reach it
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    data.remove();
  });

  it('runs the first design iteration of a campaign the API started', { timeout: 150_000 }, async () => {
    const env = {
      PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(await freePort()),
      MQTT_PORT: String(await freePort()),
      DATA_DIR: data.dir,
      REDIS_URL,
      QUEUE_PREFIX: uniqueName('q'), // this test's own queue on the shared Redis
      ADMIN_API_KEY: TEST_ADMIN_API_KEY,
    };
    // SERVICE_ROLE=api so only the worker can run the job (`npm start`'s role `all` runs jobs itself too)
    const apiProcess: ServiceProcess = await startService({ ...env, SERVICE_ROLE: 'api', LOG_LEVEL: 'log' });
    stops.push(() => apiProcess.stop());
    const base = apiProcess.baseUrl;

    const { body: c } = await api(base, 'POST', '/api/v1/campaigns', demoCampaign({ name: 'worker beside the API' }));
    expect(c.id).toBeTruthy();
    expect((await api(base, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(base, 'POST', `/api/v1/campaigns/${c.id}/start`)).status).toBe(200);
    await until('the API to say the job waits for a worker', async () => /design-iteration job .* waits for a worker/.test(apiProcess.output()), 20_000);

    const worker = await startWorkerProcess({ ...env, LOG_FORMAT: 'json' }); // same PORT as the API: it must not try to bind it
    stops.push(() => worker.stop());
    expect(worker.output()).not.toMatch(/EADDRINUSE/);
    expect(worker.output()).toMatch(/reused running cluster/); // the API's embedded PostgreSQL
    expect(worker.output()).toMatch(/the API's embedded broker at mqtt:\/\/127\.0\.0\.1:/);

    const experiments = await until(
      'the first batch of proposals',
      async () => {
        const r = await api(base, 'GET', `/api/v1/campaigns/${c.id}/experiments`);
        const items = (r.body.items ?? r.body) as unknown[];
        return Array.isArray(items) && items.length > 0 ? items : false;
      },
      90_000,
    );
    expect(experiments.length).toBeGreaterThan(0);
    expect(worker.output()).toMatch(new RegExp(`campaign ${c.id}: iteration 1 proposed \\d+`));
    expect(worker.exited()).toBe(false);

    // logs: piped output has no colour codes; the API names its pages; LOG_FORMAT=json is one object a line
    expect(apiProcess.output()).not.toMatch(/\x1b\[/);
    expect(apiProcess.output()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+ \(API docs http:\S+\/docs, dashboard http:\S+\/dashboard, health http:\S+\/health\)/);
    const lines = worker.output().trim().split('\n');
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.any(String), message: expect.anything() });
  });
});
