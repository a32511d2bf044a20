import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateAgainstDesignSpace } from '../../src/core/domain/design-space.js';
import { VirtualInstrument } from '../../simulators/virtual-instrument.js';
import { DEMO_DESIGN_SPACE } from '../../simulators/oracle.js';
import { demoCampaign, oracle, seedRows, until } from '../support/closed-loop.js';
import { api, startTestApp, uniqueName, type TestApp } from '../support/services.js';

/** A campaign with `strategy.method: 'bo'` through REST, the design loop and a virtual instrument over MQTT. */
describe('bo strategy in a campaign', () => {
  let t: TestApp;
  let rig: VirtualInstrument | null = null;

  beforeAll(async () => {
    t = await startTestApp({ env: { OFFLINE_GRACE_MS: '400', SWEEP_INTERVAL_MS: '100' }, queue: 'redis' });
  });
  afterAll(async () => {
    await rig?.stop();
    await t?.close();
  });

  it('is accepted by the API, proposes legal compositions with predictions, and completes the budget', async () => {
    const id = uniqueName('rigBo');
    rig = new VirtualInstrument({ url: t.infra.broker.url, instrumentId: id, oracle, seed: 1, prefix: t.config.mqtt.topicPrefix, speed: 2_000_000, maxConcurrentJobs: 4, clientId: uniqueName(id) });
    await rig.start();
    await until('instrument registered', async () => (await api(t.baseUrl, 'GET', `/api/v1/instruments/${id}`)).status === 200);

    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign({ budget: 12, batchSize: 4, strategy: { method: 'bo' } }));
    expect(created.status).toBe(201);
    expect(created.body.strategy).toMatchObject({ method: 'bo' });
    const campaign = created.body.id as string;
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaign}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaign}/start`)).status).toBe(200);
    await until('campaign completed', async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaign}`)).body.status === 'completed', 120_000);

    const experiments = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaign}/experiments`)).body.items as { composition: Record<string, number>; prediction: Record<string, number> }[];
    expect(experiments).toHaveLength(12);
    const formulas = new Set<string>();
    for (const e of experiments) {
      expect(validateAgainstDesignSpace(e.composition, DEMO_DESIGN_SPACE)).toEqual([]);
      expect(e.prediction).toMatchObject({ pGlass: expect.any(Number), yieldStrengthMPa: expect.any(Number), yieldStrengthStd: expect.any(Number), elongationPct: expect.any(Number), successProbability: expect.any(Number) });
      formulas.add(JSON.stringify(e.composition));
    }
    expect(formulas.size).toBe(12);
  }, 180_000);

  it('rejects an unknown strategy method with a reason', async () => {
    const res = await api(t.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign({ strategy: { method: 'bayes' } }));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/method/);
  });
});
