import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import { InstrumentTopics } from '../../adapters/mqtt/protocol.js';
import { DEMO_DESIGN_SPACE } from '../../simulators/oracle.js';
import { demoCampaign, seedRows, until } from '../support/closed-loop.js';
import { api, startTestApp, uniqueName, type TestApp } from '../support/services.js';

const GRACE_MS = 600;

/**
 * An instrument driven by hand over real MQTT (Mosquitto): it registers, takes two jobs, blinks
 * offline and comes back. Its jobs keep their deadlines; a result for a cancelled job is kept.
 */
describe('instrument liveness on real MQTT and PostgreSQL', () => {
  let t: TestApp;
  let rig: MqttConnection;
  let topics: InstrumentTopics;
  const id = uniqueName('blinky').replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60);
  const dispatched: Array<{ jobId: string; experimentId: string; composition: Record<string, number>; deadline: string }> = [];
  let campaignId: string;
  const now = () => new Date().toISOString();
  const status = (state: 'online' | 'offline') =>
    rig.publish(topics.status(id), JSON.stringify({
      state, at: now(),
      ...(state === 'offline' ? {} : { capabilities: { stages: ['synthesis', 'mechanical_test'], elements: DEMO_DESIGN_SPACE.elements, maxConcurrentJobs: 2 } }),
    }));
  const event = (body: Record<string, unknown>) => rig.publish(topics.events(id), JSON.stringify({ at: now(), ...body }));
  const job = async (jobId: string) =>
    (await t.infra.dataSource.query(
      `SELECT j.status, j.deadline, e.status AS experiment_status, e.deadline AS experiment_deadline
         FROM instrument_job j JOIN experiment e ON e.id = j.experiment_id WHERE j.job_id = $1`,
      [jobId],
    ))[0] as { status: string; deadline: Date; experiment_status: string; experiment_deadline: Date | null };
  const state = async () => (await api(t.baseUrl, 'GET', `/api/v1/instruments/${id}`)).body.state;

  beforeAll(async () => {
    t = await startTestApp({ env: { OFFLINE_GRACE_MS: String(GRACE_MS), SWEEP_INTERVAL_MS: '100' } });
    topics = new InstrumentTopics(t.config.mqtt.topicPrefix);
    rig = await MqttConnection.connect({ url: t.infra.broker.url, clientId: uniqueName('rig'), clean: true });
    rig.onMessage((topic, payload) => {
      const msg = JSON.parse(payload.toString());
      if (topic === topics.jobs(id) && msg.type === 'job.dispatch') dispatched.push(msg);
    });
    await rig.subscribe(topics.jobs(id));
    await status('online');
    await until('instrument registered', async () => (await state()) === 'online');
    const { body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign({ budget: 2, batchSize: 2 }));
    campaignId = c.id;
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaignId}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaignId}/start`)).status).toBe(200);
    await until('two jobs dispatched', async () => dispatched.length >= 2);
    for (const d of dispatched) await event({ type: 'job.accepted', jobId: d.jobId });
    await until('jobs accepted', async () => (await Promise.all(dispatched.map((d) => job(d.jobId)))).every((j) => j.status === 'accepted'));
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
    await t?.close();
  });

  it('gives an instrument that comes back online its jobs\' original deadlines', async () => {
    const [a] = dispatched;
    const original = new Date(a.deadline).getTime();
    expect(original - Date.now()).toBeGreaterThan(23 * 3600_000); // JOB_TIMEOUT_MS: 24 h

    await status('offline');
    await until('deadline cut to the grace period', async () => new Date((await job(a.jobId)).deadline).getTime() < Date.now() + 60_000);
    await status('online');
    await until('instrument online', async () => (await state()) === 'online');
    await until('original deadline back', async () => new Date((await job(a.jobId)).deadline).getTime() === original, 5000);
    // well past the grace period: nothing timed out
    await new Promise((r) => setTimeout(r, GRACE_MS * 2.5));
    for (const d of dispatched) expect(await job(d.jobId)).toMatchObject({ status: 'accepted', experiment_status: 'accepted' });
  });

  it('also restores them when the instrument reports progress on a job without a new status', async () => {
    const [a, b] = dispatched;
    await status('offline');
    await until('deadline cut again', async () => new Date((await job(b.jobId)).deadline).getTime() < Date.now() + 60_000);
    await event({ type: 'job.progress', jobId: a.jobId, stage: 'synthesis', fraction: 0.4 });
    await until('both deadlines restored', async () => {
      const rows = await Promise.all([a, b].map((d) => job(d.jobId)));
      return rows.every((r, i) => new Date(r.deadline).getTime() === new Date([a, b][i].deadline).getTime());
    }, 5000);
    await new Promise((r) => setTimeout(r, GRACE_MS * 2.5));
    expect(await job(a.jobId)).toMatchObject({ status: 'running', experiment_status: 'running' });
    expect(await job(b.jobId)).toMatchObject({ status: 'accepted', experiment_status: 'accepted' });
    await status('online');
    await until('instrument online', async () => (await state()) === 'online');
  });

  it('stores and flags a result for a cancelled job; the experiment stays cancelled', async () => {
    const [, b] = dispatched;
    const cancelled = await api(t.baseUrl, 'POST', `/api/v1/experiments/${b.experimentId}/cancel`, { reason: 'PI changed their mind' });
    expect(cancelled.status).toBe(200);
    const result = {
      jobId: b.jobId, measurementId: uniqueName('m'), composition: b.composition, phase: 'amorphous',
      yieldStrengthMPa: 1710, elongationPct: 4.5, measuredAt: now(),
    };
    await rig.publish(topics.results(id), JSON.stringify(result));
    const stored = await until('the result is stored', async () => {
      const items = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaignId}/measurements?source=instrument&limit=100`)).body.items;
      return items.find((m: { experimentId: string }) => m.experimentId === b.experimentId);
    });
    expect(stored).toMatchObject({ yieldStrengthMPa: 1710, instrumentId: id });
    const [row] = await t.infra.dataSource.query(`SELECT flags FROM measurement WHERE id = $1`, [stored.id]);
    expect(row.flags).toContain('cancelled_experiment');
    expect(await job(b.jobId)).toMatchObject({ status: 'cancelled', experiment_status: 'cancelled' });
    const detail = (await api(t.baseUrl, 'GET', `/api/v1/experiments/${b.experimentId}`)).body;
    expect(detail.status).toBe('cancelled');
  });
});
