import { afterAll, describe, expect, it } from 'vitest';
import { demoCampaign, seedRows, until } from '../support/closed-loop.js';
import mqtt from 'mqtt';
import pg from 'pg';
import { freePort, startService, startWorkerProcess } from '../support/processes.js';
import { api, createTestDatabase, MOSQUITTO_URL, REDIS_URL, startTestApp, TEST_ADMIN_API_KEY, uniqueName, type TestApp } from '../support/services.js';

/**
 * The worker role is its own app (src/apps/worker.module.ts), not the API with the port closed:
 * a `SERVICE_ROLE=worker` process (dist/src/main.js) on the machine's PostgreSQL, Redis and
 * Mosquitto serves /health on WORKER_PORT and no API route at all, and still runs the design
 * iteration an API process queued for a campaign.
 */
describe('the worker role', () => {
  const stops: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  });

  it('serves only /health and runs a design job from the queue', { timeout: 150_000 }, async () => {
    const db = await createTestDatabase();
    stops.push(() => db.drop());
    const shared = { DATABASE_URL: db.url, MQTT_URL: MOSQUITTO_URL, MQTT_TOPIC_PREFIX: `${uniqueName('wrole')}/v1`, QUEUE_PREFIX: uniqueName('q') };
    // an API process that runs no jobs (SERVICE_ROLE=api): only the worker can run the iteration
    const apiApp: TestApp = await startTestApp({ env: { ...shared, SERVICE_ROLE: 'api' }, queue: 'redis' });
    stops.push(() => apiApp.close());

    const workerPort = await freePort();
    const worker = await startWorkerProcess({ ...shared, REDIS_URL, WORKER_PORT: String(workerPort), MQTT_CLIENT_ID: uniqueName('worker') });
    stops.push(() => worker.stop());
    const workerUrl = `http://127.0.0.1:${workerPort}`;

    const health = await api(workerUrl, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', role: 'worker', queue: { mode: 'redis' } });
    // no campaign route, no docs, no dashboard: 404 with the admin key, where the API answers
    for (const [method, path, apiStatus] of [
      ['GET', '/api/v1/campaigns', 200],
      ['POST', '/api/v1/campaigns', 400],
      ['GET', '/api/v1/me', 200],
      ['GET', '/api/v1/jobs', 200],
      ['GET', '/docs-json', 200],
      ['GET', '/dashboard', 200],
    ] as const) {
      expect((await api(workerUrl, method, path, method === 'POST' ? {} : undefined)).status, `${method} ${path} on the worker`).toBe(404);
      expect((await api(apiApp.baseUrl, method, path, method === 'POST' ? {} : undefined)).status, `${method} ${path} on the API`).toBe(apiStatus);
    }
    expect(worker.output()).toMatch(/worker: running background jobs from Redis \(BullMQ\); health http:\/\/127\.0\.0\.1:\d+\/health \(no API routes\)/);
    expect(worker.output()).not.toMatch(/BOOTSTRAP ADMIN API KEY|listening on/); // no API key bootstrap, no API

    const { body: c } = await api(apiApp.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign({ name: 'worker role' }));
    expect(c.id).toBeTruthy();
    expect((await api(apiApp.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(apiApp.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/start`)).status).toBe(200);
    const items = await until(
      'the first batch of proposals',
      async () => {
        const r = await api(apiApp.baseUrl, 'GET', `/api/v1/campaigns/${c.id}/experiments`);
        return r.body.items?.length > 0 ? (r.body.items as { status: string }[]) : false;
      },
      90_000,
    );
    expect(items.length).toBe(4); // the campaign's batch size
    expect(worker.output()).toMatch(new RegExp(`campaign ${c.id}: iteration 1 proposed 4`));
    const jobs: { state: string }[] = await apiApp.infra.dataSource.query(`SELECT state FROM background_job WHERE campaign_id = $1`, [c.id]);
    expect(jobs.map((j) => j.state)).toContain('completed');
    expect(worker.exited()).toBe(false);
  });

  it('logs into the API\'s embedded broker with MQTT_AUTH=on and runs the design job', { timeout: 150_000 }, async () => {
    const db = await createTestDatabase();
    stops.push(() => db.drop());
    const mqttPort = await freePort();
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      QUEUE_PREFIX: uniqueName('q'),
      MQTT_AUTH: 'on',
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(mqttPort),
      ADMIN_API_KEY: TEST_ADMIN_API_KEY,
    };
    const apiProcess = await startService({ ...env, SERVICE_ROLE: 'api', LOG_LEVEL: 'log' });
    stops.push(() => apiProcess.stop());
    const workerPort = await freePort();
    // Before: "Connection refused: Bad username or password" at start-up (the broker's only service login lived in the API's memory).
    const worker = await startWorkerProcess({ ...env, WORKER_PORT: String(workerPort) });
    stops.push(() => worker.stop());
    expect(worker.output()).toMatch(/the API's embedded broker at mqtt:\/\/127\.0\.0\.1:/);
    const health = await api(`http://127.0.0.1:${workerPort}`, 'GET', '/health');
    expect(health.body.broker).toMatchObject({ ok: true, mode: 'embedded' });
    expect(apiProcess.output()).not.toMatch(/refused connect/);
    // the worker's login is its own, registered (hashed) in the shared database while it runs
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    stops.push(() => sql.end());
    const { rows } = await sql.query<{ username: string; password_hash: string }>(`SELECT username, password_hash FROM broker_service_login`);
    expect(rows).toHaveLength(1);
    expect(rows[0].username).toMatch(/^aimd-service\.[0-9a-f]{8}$/);
    expect(rows[0].password_hash).toMatch(/^\$7\$/);
    // a service-looking login that nobody registered is refused
    const forged = mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { username: 'aimd-service.00000000', password: 'guess', reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, clientId: uniqueName('forged') });
    await expect(forged).rejects.toThrow(/Bad username or password|Not authorized/);
    await until('the API to log the refusal', async () => /refused connect from client forged\S* \(aimd-service\.00000000\): unknown service login or wrong password/.test(apiProcess.output()), 10_000);

    const base = apiProcess.baseUrl;
    const { body: c } = await api(base, 'POST', '/api/v1/campaigns', demoCampaign({ name: 'worker on the authenticated broker' }));
    expect((await api(base, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(base, 'POST', `/api/v1/campaigns/${c.id}/start`)).status).toBe(200);
    await until('the worker\'s first iteration', async () => new RegExp(`campaign ${c.id}: iteration 1 proposed 4`).test(worker.output()), 90_000);
    expect((await api(base, 'GET', `/api/v1/campaigns/${c.id}/experiments`)).body.items).toHaveLength(4);

    // stopped, the worker takes its login out of the database
    await worker.stop();
    expect((await sql.query(`SELECT username FROM broker_service_login`)).rows).toEqual([]);
  });
});
