import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import { InstrumentTopics } from '../../adapters/mqtt/protocol.js';
import { DispatcherService } from '../../src/services/lab/dispatcher.service.js';
import { InstrumentGatewayService } from '../../src/services/lab/instrument-gateway.service.js';
import { VirtualInstrument, type VirtualInstrumentOptions } from '../../simulators/virtual-instrument.js';
import { demoCampaign, oracle, seedRows, until } from '../support/closed-loop.js';
import { api, startTestApp, uniqueName, type TestApp } from '../support/services.js';

const SPEED = 2_000_000; // a 6-hour job in ~11 ms

describe.each([
  { name: 'Mosquitto + BullMQ on Redis', env: {} as Record<string, string>, queue: 'redis' as const },
  { name: 'embedded broker + in-process jobs', env: { MQTT_URL: '', MQTT_PORT: '0' } as Record<string, string>, queue: 'in-process' as const },
])('closed loop on $name', ({ env, queue }) => {
  let t: TestApp;
  let instruments: VirtualInstrument[] = [];
  const brokerUrl = () => (t.infra.broker.mode === 'embedded' ? `mqtt://127.0.0.1:${t.infra.broker.url.split(':').pop()}` : t.infra.broker.url);

  beforeAll(async () => {
    t = await startTestApp({ env: { ...env, OFFLINE_GRACE_MS: '400', SWEEP_INTERVAL_MS: '100' }, queue });
  });
  afterEach(async () => {
    await Promise.all(instruments.map((i) => i.stop()));
    instruments = [];
  });
  afterAll(async () => {
    await t?.close();
  });

  async function instrument(id: string, options: Partial<VirtualInstrumentOptions> = {}) {
    const i = new VirtualInstrument({
      url: brokerUrl(),
      instrumentId: id,
      oracle,
      seed: 1,
      prefix: t.config.mqtt.topicPrefix,
      speed: SPEED,
      maxConcurrentJobs: 2,
      clientId: uniqueName(id),
      ...options,
    });
    await i.start();
    instruments.push(i);
    await until(`instrument ${id} registered`, async () => (await api(t.baseUrl, 'GET', `/api/v1/instruments/${id}`)).status === 200);
    return i;
  }

  async function startCampaign(overrides: Record<string, unknown> = {}) {
    const { body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign(overrides));
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/start`)).status).toBe(200);
    return c.id as string;
  }

  it('runs several batches end to end without a human, duplicate results stored once', async () => {
    await instrument(uniqueName('rigA'), { faults: { duplicateResult: 1 } });
    await instrument(uniqueName('rigB'));
    const id = await startCampaign();
    const done = await until('campaign completed', async () => {
      const c = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body;
      return c.status === 'completed' ? c : null;
    }, 60_000);
    expect(done.completionReason).toContain('budget of 12 experiments reached');

    const experiments = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?limit=100`)).body.items;
    expect(experiments).toHaveLength(12);
    expect(new Set(experiments.map((e: { batchNumber: number }) => e.batchNumber)).size).toBeGreaterThanOrEqual(3);
    expect(experiments.every((e: { status: string }) => e.status === 'measured')).toBe(true);
    // no proposal repeats a measured or pending composition
    expect(new Set(experiments.map((e: { formula: string }) => e.formula)).size).toBe(12);

    const measured = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=instrument&limit=100`)).body;
    expect(measured.total).toBe(12); // rigA sends every result twice: stored once
    expect(new Set(measured.items.map((m: { experimentId: string }) => m.experimentId)).size).toBe(12);
    expect(t.app.get(InstrumentGatewayService).counters.duplicates).toBeGreaterThan(0);

    const audit = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/audit?limit=500`)).body.items;
    const first = experiments[0].id;
    const path = audit.filter((a: { entityId: string; action: string }) => a.entityId === first && a.action === 'transition').map((a: { toState: string }) => a.toState);
    expect(path.slice(0, 1)).toEqual(['dispatched']);
    expect(path.at(-1)).toBe('measured');
    for (const a of audit.filter((x: { entityType: string }) => x.entityType === 'experiment')) {
      expect(a.actor.length).toBeGreaterThan(0);
      expect(a.at).toBeTruthy();
    }
  });

  // The engine is the same in both set-ups: declared once (on Redis), for CI time, rather than passing vacuously on the other.
  const onRedisOnly = queue === 'redis' ? it : () => undefined;
  onRedisOnly('runs the AIMatDesign strategy in the loop: model versions, agent checkpoints and predictions stored', async () => {
    await instrument(uniqueName('rigC'), { maxConcurrentJobs: 4 });
    const id = await startCampaign({
      budget: 8,
      batchSize: 4,
      strategy: { method: 'aimatdesign', episodesPerIteration: 8, refreshEpisodes: 4, stepsPerEpisode: 16 },
    });
    await until('campaign completed', async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body.status === 'completed', 240_000);
    const experiments = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments`)).body.items;
    expect(experiments).toHaveLength(8);
    for (const e of experiments) {
      expect(e.prediction).toMatchObject({ pGlass: expect.any(Number), yieldStrengthMPa: expect.any(Number), elongationStd: expect.any(Number) });
      expect(e.modelVersionId).toBeTruthy();
      expect(e.composition.Zr).toBeGreaterThanOrEqual(45);
      expect(Object.values(e.composition as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(100, 6);
    }
    const versions = await t.infra.dataSource.query(`SELECT version, features, metrics, is_active FROM model_version WHERE campaign_id = $1 ORDER BY created_at`, [id]);
    expect(versions.length).toBeGreaterThanOrEqual(2); // one per design iteration (plus AMR retrains)
    expect(versions.filter((v: { is_active: boolean }) => v.is_active)).toHaveLength(1);
    expect(versions[0].metrics.classifierRocAuc).toBeGreaterThan(0);
    const agents = await t.infra.dataSource.query(`SELECT iteration, env_steps FROM agent_checkpoint WHERE campaign_id = $1 ORDER BY iteration`, [id]);
    // one checkpoint per design iteration (batches follow the freed capacity)
    expect(agents.map((a: { iteration: number }) => a.iteration)).toEqual(agents.map((_: unknown, i: number) => i + 1));
    expect(agents.length).toBeGreaterThanOrEqual(2);
    expect(agents[0].env_steps).toBe(128); // 8 episodes x 16 steps (64 environments step together)
    expect(agents.slice(1).map((a: { env_steps: number }) => a.env_steps)).toEqual(agents.slice(1).map(() => 64)); // warm-started refreshes
  }, 300_000);

  it('keeps results for unknown jobs and malformed payloads in the rejected store with their reasons', async () => {
    const topics = new InstrumentTopics(t.config.mqtt.topicPrefix);
    const rogue = await MqttConnection.connect({ url: brokerUrl(), clientId: uniqueName('rogue'), clean: true });
    const result = {
      jobId: '8f0c0000-0000-4000-8000-000000000000', measurementId: 'm-1', composition: { Zr: 60, Cu: 30, Al: 10 }, phase: 'amorphous',
      yieldStrengthMPa: 1700, elongationPct: 3, measuredAt: '2026-11-25T18:30:00Z',
    };
    await rogue.publish(topics.results('rogue1'), JSON.stringify(result));
    await rogue.publish(topics.results('rogue1'), '{"jobId": "x", not json');
    await rogue.publish(topics.events('rogue1'), JSON.stringify({ type: 'job.exploded', jobId: 'x', at: '2026-11-25T18:30:00Z' }));
    await rogue.publish(topics.results('rogue1'), JSON.stringify({ ...result, yieldStrengthMPa: 'high' }));
    await rogue.close();
    const rejected = await until('4 rejected messages', async () => {
      const r = (await api(t.baseUrl, 'GET', '/api/v1/rejected-messages?channel=mqtt&limit=100')).body.items.filter(
        (m: { instrumentId: string }) => m.instrumentId === 'rogue1',
      );
      return r.length >= 4 ? r : null;
    });
    const reasons = rejected.map((r: { reason: string }) => r.reason).join('\n');
    expect(reasons).toContain('unknown job 8f0c0000-0000-4000-8000-000000000000');
    expect(reasons).toMatch(/JSON/i);
    expect(reasons).toMatch(/job\.exploded/);
    expect(reasons).toMatch(/yieldStrengthMPa/);
    expect(rejected.find((r: { reason: string }) => r.reason.includes('unknown job')).payload).toBe(JSON.stringify(result));

    // Replay after a fix: the stored payload fails again (still unknown), so it stays pending.
    const unknown = rejected.find((r: { reason: string }) => r.reason.includes('unknown job'));
    const replay = await api(t.baseUrl, 'POST', `/api/v1/rejected-messages/${unknown.id}/replay`, {});
    expect(replay.body).toMatchObject({ ok: false, message: { status: 'pending', replayCount: 1 } });
  });

  it('re-dispatches the job of an instrument that goes offline mid-job to another one after the timeout', async () => {
    const flaky = await instrument(uniqueName('flaky'), { faults: { offlineMidJob: 1 }, offlineForMs: null, maxConcurrentJobs: 4 });
    const id = await startCampaign({ budget: 2, batchSize: 2 });
    // Both jobs go to the flaky instrument (the only one), which drops off mid-job.
    await until('flaky instrument offline', async () => (await api(t.baseUrl, 'GET', `/api/v1/instruments/${flaky.id}`)).body.state === 'offline');
    await instrument(uniqueName('steady'));
    const done = await until('campaign completed', async () => {
      const c = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body;
      return c.status === 'completed' ? c : null;
    }, 30_000);
    expect(done.status).toBe('completed');
    const experiments = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments`)).body.items;
    for (const e of experiments) {
      const detail = (await api(t.baseUrl, 'GET', `/api/v1/experiments/${e.id}`)).body;
      expect(detail.status).toBe('measured');
      expect(detail.jobs.length).toBe(2);
      expect(detail.jobs[0]).toMatchObject({ instrumentId: flaky.id, status: 'timed_out' });
      expect(detail.jobs[1].instrumentId).not.toBe(flaky.id);
      expect(detail.jobs[1].jobId).not.toBe(detail.jobs[0].jobId);
      expect(detail.jobs[1].status).toBe('completed');
    }
  });

  it('closes an experiment from a technician REST entry the same way as an MQTT result', async () => {
    const id = await startCampaign({ budget: 2, batchSize: 2 });
    const experiments = await until('proposals queued', async () => {
      const items = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?status=queued`)).body.items;
      return items.length === 2 ? items : null;
    });
    const [e1, e2] = experiments;
    const entry = { phase: 'amorphous', yieldStrengthMPa: 1710, elongationPct: 5.5, measuredAt: '2026-11-25T12:00:00Z' };
    const first = await api(t.baseUrl, 'POST', `/api/v1/experiments/${e1.id}/measurements`, entry, { 'idempotency-key': 'bench-7-entry-1', 'x-actor': 'tech.li' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ stored: true, experimentClosed: true });
    expect(first.body.measurement).toMatchObject({ source: 'technician', experimentId: e1.id, isGlass: true });
    expect(first.body.measurement.enteredBy).toBeTruthy();
    const retry = await api(t.baseUrl, 'POST', `/api/v1/experiments/${e1.id}/measurements`, entry, { 'idempotency-key': 'bench-7-entry-1' });
    expect(retry.body).toEqual({ stored: false, duplicateOf: first.body.measurement.id });

    const bad = await api(t.baseUrl, 'POST', `/api/v1/experiments/${e2.id}/measurements`, { phase: 'amorphous', yieldStrengthMPa: 1700 });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('elongationPct is required unless the sample is crystalline');

    const bulk = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/results`, `experiment,phase,yieldStrengthMPa,elongationPct\n${e2.sequence},amorphous,1650,4.2\n999,amorphous,1,1\n`);
    expect(bulk.body).toMatchObject({ stored: 1, rejected: 1, rows: [{ row: 1, outcome: 'stored' }, { row: 2, outcome: 'rejected', reason: 'experiment 999 is not in this campaign' }] });

    // a correction is a new revision; the history keeps both
    const corrected = await api(t.baseUrl, 'POST', `/api/v1/measurements/${first.body.measurement.id}/corrections`, { ...entry, yieldStrengthMPa: 1610, reason: 'misread the load cell' });
    expect(corrected.body).toMatchObject({ revision: 2, supersedesId: first.body.measurement.id, yieldStrengthMPa: 1610, isCurrent: true });
    const again = await api(t.baseUrl, 'POST', `/api/v1/measurements/${first.body.measurement.id}/corrections`, { ...entry, reason: 'x' });
    expect(again.status).toBe(409);
    const history = (await api(t.baseUrl, 'GET', `/api/v1/measurements/${corrected.body.id}/history`)).body;
    expect(history.map((m: { revision: number; yieldStrengthMPa: number }) => [m.revision, m.yieldStrengthMPa])).toEqual([[1, 1710], [2, 1610]]);
    const current = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=technician`)).body.items;
    expect(current).toHaveLength(2);

    await until('campaign completed', async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body.status === 'completed');
    await t.app.get(DispatcherService).settled();
  });
});
