import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import { InstrumentTopics } from '../../adapters/mqtt/protocol.js';
import { DESIGN_JOB } from '../../src/services/design/design-loop.service.js';
import { STRATEGIES } from '../../src/services/design/strategies.js';
import { InstrumentGatewayService } from '../../src/services/lab/instrument-gateway.service.js';
import { api, createTestDatabase, MOSQUITTO_URL, startTestApp, uniqueName, zrCampaign, type TestApp } from '../support/services.js';

/**
 * Several processes on one PostgreSQL, Redis and Mosquitto (each TestApp here is a full service
 * instance with its own MQTT client, DB pool and BullMQ connections, as separate processes would be).
 */
describe('scale-out: API replicas and workers sharing PostgreSQL, Redis and Mosquitto', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const apps: TestApp[] = [];
  const shared = () => ({
    DATABASE_URL: db.url,
    MQTT_TOPIC_PREFIX: prefix,
    QUEUE_PREFIX: queuePrefix,
    MQTT_SHARE_GROUP: uniqueName('grp'),
  });
  let prefix: string;
  let queuePrefix: string;
  let group: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    prefix = `${uniqueName('scale')}/v1`;
    queuePrefix = uniqueName('q');
    group = shared();
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await db.drop();
  });

  it('two API processes on one broker split the results and store each one once', async () => {
    const apiA = await startTestApp({ env: { ...group, SERVICE_ROLE: 'api', MQTT_CLIENT_ID: uniqueName('apiA') }, queue: 'redis' });
    const apiB = await startTestApp({ env: { ...group, SERVICE_ROLE: 'api', MQTT_CLIENT_ID: uniqueName('apiB') }, queue: 'redis' });
    apps.push(apiA, apiB);
    expect(apiA.infra.mqtt.protocolVersion).toBe(5); // shared subscriptions need MQTT 5

    const { body: c } = await api(apiA.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign());
    const N = 300;
    const jobs: { job_id: string }[] = await apiA.infra.dataSource.query(
      `WITH e AS (
         INSERT INTO experiment (campaign_id, sequence, batch_number, status, composition, formula, elements, attempts)
         SELECT $1, g, 1, 'running', '{"Zr": 60, "Cu": 30, "Al": 10}', 'Zr60Cu30Al10', '{Al,Cu,Zr}', 1 FROM generate_series(1, ${N}) g
         RETURNING id)
       INSERT INTO instrument_job (experiment_id, campaign_id, instrument_id, attempt, status, stages, dispatched_at, deadline)
       SELECT id, $1, 'rigS', 1, 'running', '{synthesis,mechanical_test}', now(), now() + interval '1 day' FROM e
       RETURNING job_id`,
      [c.id],
    );
    await apiA.infra.dataSource.query(`UPDATE experiment e SET current_job_id = j.job_id, instrument_id = 'rigS' FROM instrument_job j WHERE j.experiment_id = e.id`);

    const topics = new InstrumentTopics(prefix);
    const rig = await MqttConnection.connect({ url: MOSQUITTO_URL, clientId: uniqueName('rigS'), clean: true });
    // every result twice (QoS 1 at-least-once), interleaved
    const messages = jobs.flatMap((j, i) => {
      const payload = JSON.stringify({
        jobId: j.job_id, measurementId: `rigS-${i}`, composition: { Zr: 60, Cu: 30, Al: 10 }, phase: 'amorphous',
        yieldStrengthMPa: 1500 + i, elongationPct: 2, measuredAt: '2026-11-25T10:00:00Z',
      });
      return [payload, payload];
    });
    await Promise.all(messages.map((m) => rig.publish(topics.results('rigS'), m)));
    await rig.close();

    const count = async () => Number((await apiA.infra.dataSource.query(`SELECT count(*) AS n FROM measurement WHERE campaign_id = $1`, [c.id]))[0].n);
    const end = Date.now() + 30_000;
    while ((await count()) < N && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    await apiA.app.get(InstrumentGatewayService).drained();
    await apiB.app.get(InstrumentGatewayService).drained();
    expect(await count()).toBe(N);
    const distinct = await apiA.infra.dataSource.query(`SELECT count(DISTINCT external_id) AS n FROM measurement WHERE campaign_id = $1`, [c.id]);
    expect(Number(distinct[0].n)).toBe(N);
    const a = apiA.app.get(InstrumentGatewayService).counters;
    const b = apiB.app.get(InstrumentGatewayService).counters;
    // the broker split the stream: both replicas worked, together they saw each message once
    expect(a.received).toBeGreaterThan(0);
    expect(b.received).toBeGreaterThan(0);
    expect(a.received + b.received).toBe(2 * N);
    expect(a.stored + b.stored).toBe(N);
    expect(a.duplicates + b.duplicates).toBe(N);
  }, 90_000);

  it('two workers never design the same campaign at once', async () => {
    const intervals: { start: number; end: number }[] = [];
    STRATEGIES['slow-test'] = () => ({
      name: 'slow-test',
      propose: async () => {
        const start = Date.now();
        await new Promise((r) => setTimeout(r, 150));
        intervals.push({ start, end: Date.now() });
        return { proposals: [], modelVersions: [], agent: null, refinements: [], summary: {} };
      },
    });
    const w1 = await startTestApp({ env: { ...group, SERVICE_ROLE: 'worker', MQTT_CLIENT_ID: uniqueName('w1') }, queue: 'redis' });
    const w2 = await startTestApp({ env: { ...group, SERVICE_ROLE: 'worker', MQTT_CLIENT_ID: uniqueName('w2') }, queue: 'redis' });
    // a worker serves no API routes: the campaign is made through an API process
    const apiC = await startTestApp({ env: { ...group, SERVICE_ROLE: 'api', MQTT_CLIENT_ID: uniqueName('apiC') }, queue: 'redis' });
    apps.push(w1, w2, apiC);
    const { body: c } = await api(apiC.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'locked' }));
    await w1.infra.dataSource.query(`UPDATE campaign SET status = 'running', strategy = strategy || '{"method": "slow-test"}' WHERE id = $1`, [c.id]);
    // Ten iterations asked at once, no coalescing: both workers take jobs, the lock serialises them.
    await Promise.all(Array.from({ length: 10 }, () => w1.infra.jobs.enqueue(DESIGN_JOB, { campaignId: c.id, input: { campaignId: c.id } })));
    await w1.infra.jobs.idle();
    const end = Date.now() + 30_000;
    while (intervals.length < 10 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(intervals).toHaveLength(10);
    const sorted = [...intervals].sort((x, y) => x.start - y.start);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i].start).toBeGreaterThanOrEqual(sorted[i - 1].end);
    const jobs: { state: string; started_at: Date; finished_at: Date }[] = await w1.infra.dataSource.query(
      `SELECT state, started_at, finished_at FROM background_job WHERE campaign_id = $1 ORDER BY started_at`,
      [c.id],
    );
    expect(jobs.every((j) => j.state === 'completed')).toBe(true);
    // ...while the jobs themselves did run at the same time on the two workers (one waiting on the lock)
    const overlapping = jobs.some((j, i) => i > 0 && j.started_at.getTime() < jobs[i - 1].finished_at.getTime());
    expect(overlapping).toBe(true);
    delete STRATEGIES['slow-test'];
  }, 90_000);
});
