import { describe, expect, it } from 'vitest';
import { VirtualInstrument } from '../../simulators/virtual-instrument.js';
import { api, createTestDatabase, startTestApp, uniqueName } from '../support/services.js';
import { demoCampaign, oracle, seedRows, until } from '../support/closed-loop.js';

// Its own file (its own process): a restart test must not share a process with other apps.
// It failed now and then until start-up initialised the modules before reconciling: when every
// result of the batch had arrived before the restart, the reconcile found no job handler yet.
describe('restart mid-campaign (Mosquitto, PostgreSQL, Redis)', () => {
  it('loses and duplicates nothing across a service restart', async () => {
    const db = await createTestDatabase();
    const env = {
      DATABASE_URL: db.url,
      MQTT_TOPIC_PREFIX: `${uniqueName('restart')}/v1`,
      MQTT_CLIENT_ID: uniqueName('svc-restart'),
      QUEUE_PREFIX: uniqueName('q'),
      SWEEP_INTERVAL_MS: '100',
    };
    let t = await startTestApp({ env, queue: 'redis' });
    const url = t.infra.broker.url;
    // Slow instruments (about 0.5 s a job) so results arrive while the service is down.
    const rigs = ['rigR1', 'rigR2'].map(
      (id) => new VirtualInstrument({ url, instrumentId: uniqueName(id), oracle, seed: 2, prefix: env.MQTT_TOPIC_PREFIX, speed: 40_000, maxConcurrentJobs: 2, faults: { duplicateResult: 0.3 } }),
    );
    try {
      for (const r of rigs) await r.start();
      await until('instruments registered', async () => (await api(t.baseUrl, 'GET', '/api/v1/instruments')).body.length === 2);
      const { body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign({ budget: 12, batchSize: 4 }));
      await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, seedRows(20));
      await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/start`);
      await until('jobs in flight', async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}/experiments?status=dispatched,accepted,running`)).body.total > 0);

      await t.close(); // the service goes away mid-campaign; instruments keep working and publishing
      await new Promise((r) => setTimeout(r, 1500));
      t = await startTestApp({ env, queue: 'redis' });

      const done = await until('campaign completed after restart', async () => {
        const x = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}`)).body;
        return x.status === 'completed' ? x : null;
      }, 60_000).catch(async (e) => {
        // What the loop was doing, for the record.
        const jobs = await t.infra.dataSource.query(`SELECT state, attempts, error, result, created_at FROM background_job WHERE campaign_id = $1 ORDER BY created_at`, [c.id]);
        const states = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}/experiments?limit=100`)).body.items.map((x: { status: string }) => x.status);
        console.log('campaign stalled after restart', JSON.stringify({ jobs, states }));
        throw e;
      });
      expect(done.status).toBe('completed');
      const experiments = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}/experiments?limit=100`)).body.items;
      expect(experiments).toHaveLength(12);
      expect(experiments.every((e: { status: string }) => e.status === 'measured')).toBe(true);
      const measured = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}/measurements?source=instrument&limit=100`)).body;
      expect(measured.total).toBe(12);
      expect(new Set(measured.items.map((m: { experimentId: string }) => m.experimentId)).size).toBe(12);
    } finally {
      for (const r of rigs) await r.stop();
      await t.close();
      await db.drop();
    }
  }, 120_000);
});
