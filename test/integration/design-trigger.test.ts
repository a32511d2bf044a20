import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VirtualInstrument } from '../../simulators/virtual-instrument.js';
import { demoCampaign, oracle, seedRows, until } from '../support/closed-loop.js';
import { api, startTestApp, uniqueName, type TestApp } from '../support/services.js';

/**
 * The design loop runs once per burst of results: every result of a batch arrives within a few
 * milliseconds (one instrument, four jobs at once), and each burst is followed by exactly one design
 * iteration, counted in the background-job table (every iteration that ran has its own row).
 */
describe('design loop trigger', () => {
  let t: TestApp;
  let rig: VirtualInstrument | null = null;

  beforeAll(async () => {
    t = await startTestApp({ env: { MQTT_URL: '', MQTT_PORT: '0', SWEEP_INTERVAL_MS: '100' }, queue: 'in-process' });
  });
  afterAll(async () => {
    await rig?.stop();
    await t?.close();
  });

  it('runs one design iteration per burst of results (start, two bursts: three iterations)', async () => {
    const id = uniqueName('burst');
    rig = new VirtualInstrument({
      url: `mqtt://127.0.0.1:${t.infra.broker.url.split(':').pop()}`,
      instrumentId: id,
      oracle,
      seed: 1,
      prefix: t.config.mqtt.topicPrefix,
      speed: 2_000_000, // a 6-hour job in ~11 ms: the four results of a batch come as one burst
      maxConcurrentJobs: 4,
      clientId: uniqueName(id),
    });
    await rig.start();
    await until('instrument registered', async () => (await api(t.baseUrl, 'GET', `/api/v1/instruments/${id}`)).status === 200);

    const { body: campaign } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign({ budget: 8, batchSize: 4 }));
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaign.id}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaign.id}/start`)).status).toBe(200);
    await until('campaign completed', async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaign.id}`)).body.status === 'completed', 60_000);
    await t.infra.jobs.idle();
    // anything a late second trigger would still enqueue (debounce 200 ms) has had time to run
    await new Promise((r) => setTimeout(r, 600));
    await t.infra.jobs.idle();

    const measured = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaign.id}/measurements?source=instrument&limit=100`)).body;
    expect(measured.total).toBe(8);
    const experiments = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaign.id}/experiments?limit=100`)).body.items as { batchNumber: number }[];
    expect(experiments.map((e) => e.batchNumber)).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);

    const jobs = (await api(t.baseUrl, 'GET', `/api/v1/jobs?campaignId=${campaign.id}&limit=100`)).body.items as { kind: string; state: string; input: { reason: string } }[];
    const iterations = jobs.filter((j) => j.kind === 'design-iteration');
    // the start, the first batch's results, the second batch's results (which completes the campaign)
    expect(iterations).toHaveLength(3);
    expect(iterations.every((j) => j.state === 'completed')).toBe(true);
    expect(iterations.map((j) => j.input.reason).sort()).toEqual(['campaign draft -> running', 'new measurement', 'new measurement']);
  }, 90_000);
});
