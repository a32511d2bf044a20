import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import { decodeJobMessage, InstrumentTopics, type JobDispatch } from '../../adapters/mqtt/protocol.js';
import { checkProcessValues, processRejection, type ProcessSupport, type ProcessVariable } from '../../src/core/domain/process.js';
import { VirtualInstrument } from '../../simulators/virtual-instrument.js';
import { demoCampaign, oracle, seedRows, until } from '../support/closed-loop.js';
import { api, startTestApp, uniqueName, type TestApp } from '../support/services.js';

/**
 * Issue 16, process parameters as design variables: a campaign with a continuous casting diameter
 * and a categorical cooling method runs to its budget through the real service (genetic strategy,
 * in-process jobs, Mosquitto) against virtual instruments speaking protocol 1.2. Dispatches carry
 * the process, results report the process used, both are stored and exported; an instrument that
 * cannot make a value rejects the job with the reason and the job goes to one that can. Then a
 * strict protocol-1.0 instrument completes a campaign without process variables.
 */
const PROCESS: ProcessVariable[] = [
  { name: 'castingDiameterMm', kind: 'continuous', min: 1, max: 5, step: 1, unit: 'mm' },
  { name: 'coolingMethod', kind: 'categorical', values: ['copper-mould', 'suction', 'water-quench'] },
];
// The narrow rig has the most capacity (asked first) but no copper mould, the default the seed data is read with.
const NARROW: ProcessSupport = { castingDiameterMm: { min: 1, max: 3 }, coolingMethod: { values: ['suction', 'water-quench'] } };
const WIDE: ProcessSupport = { castingDiameterMm: { min: 1, max: 5 }, coolingMethod: { values: ['copper-mould', 'suction', 'water-quench'] } };

describe('a campaign with process variables over MQTT', () => {
  let t: TestApp;
  let listener: MqttConnection;
  const dispatches: { instrumentId: string; message: JobDispatch; raw: Record<string, unknown> }[] = [];
  const rigs: VirtualInstrument[] = [];

  const rig = (name: string, options: Partial<ConstructorParameters<typeof VirtualInstrument>[0]>) => {
    const r = new VirtualInstrument({
      url: t.infra.broker.url, instrumentId: uniqueName(name), oracle, seed: 2, prefix: t.config.mqtt.topicPrefix, speed: 2_000_000, clientId: uniqueName(name), ...options,
    });
    rigs.push(r);
    return r;
  };

  beforeAll(async () => {
    t = await startTestApp({ queue: 'in-process' });
    const topics = new InstrumentTopics(t.config.mqtt.topicPrefix);
    listener = await MqttConnection.connect({
      url: t.infra.broker.url,
      clientId: uniqueName('listener'),
      onMessage: (topic, payload) => {
        const parsed = topics.parse(topic);
        const decoded = decodeJobMessage(payload);
        if (parsed.ok && decoded.ok && decoded.message.type === 'job.dispatch') {
          dispatches.push({ instrumentId: parsed.instrumentId, message: decoded.message, raw: JSON.parse(payload.toString()) });
        }
      },
    });
    await listener.subscribe(topics.filter('jobs'));
  });
  afterAll(async () => {
    for (const r of rigs) await r.stop();
    await listener?.close();
    await t?.close();
  });

  it('the design space validator refuses inconsistent process variables with the reason', async () => {
    const fields = demoCampaign();
    const cases: [unknown, RegExp][] = [
      [[{ ...PROCESS[1], default: 'furnace' }], /default "furnace" is not one of/],
      [[{ ...PROCESS[0], step: 0.7 }], /whole number of steps of 0.7/],
      [[PROCESS[0], PROCESS[0]], /castingDiameterMm is declared twice/],
      [[{ name: 'x', kind: 'ordinal' }], /designSpace.process.0.kind must be one of the following values: continuous, categorical/],
    ];
    for (const [process, reason] of cases) {
      const res = await api(t.baseUrl, 'POST', '/api/v1/campaigns', { ...fields, designSpace: { ...(fields.designSpace as object), process } });
      expect(res.status, JSON.stringify(process)).toBe(400);
      expect(JSON.stringify(res.body).replace(/\\"/g, '"')).toMatch(reason);
    }
 
    // A PI's own experiment: its process values are checked against the variables; missing ones take the defaults.
    const draft = await api(t.baseUrl, 'POST', '/api/v1/campaigns', { ...fields, designSpace: { ...(fields.designSpace as object), process: PROCESS } });
    expect(draft.status).toBe(201);
    const composition = { Zr: 60, Cu: 25, Al: 10, Ni: 5 };
    const bad = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${draft.body.id}/experiments`, { composition, process: { castingDiameterMm: 2.5, coolingMethod: 'furnace' } });
    expect(bad.status).toBe(400);
    expect(bad.body.problems.join('; ')).toMatch(/castingDiameterMm: 2.5 mm is not on the 1 mm grid.*coolingMethod: "furnace" is not one of/);
    const own = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${draft.body.id}/experiments`, { composition, process: { coolingMethod: 'suction' } });
    expect(own.status).toBe(201);
    expect(own.body.process).toEqual({ castingDiameterMm: 3, coolingMethod: 'suction' });
    const listed = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${draft.body.id}/experiments`)).body.items;
    expect(listed.map((e: { process: unknown }) => e.process)).toEqual([{ castingDiameterMm: 3, coolingMethod: 'suction' }]);
  });

  it('runs to its budget: dispatches carry the process, results report it, it is stored; a rig that cannot make a value rejects and another makes it', async () => {
    const narrow = rig('narrow-rig', { processSupport: NARROW, maxConcurrentJobs: 4 });
    const wide = rig('wide-rig', { processSupport: WIDE, maxConcurrentJobs: 2 });
    // A station built to the 1.0 page, with the most capacity: its strict decoder refuses the process field.
    const strict = rig('strict-v1-rig', { protocol: '1.0', maxConcurrentJobs: 8 });
    await narrow.start();
    await wide.start();
    await strict.start();
    const fields = demoCampaign({ name: 'process campaign', budget: 12, batchSize: 4, seed: 8, strategy: { method: 'genetic' } });
    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', { ...fields, designSpace: { ...(fields.designSpace as object), process: PROCESS } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.designSpace.process).toEqual([{ ...PROCESS[0] }, { ...PROCESS[1] }]);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/measurements/import`, seedRows(30))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/start`)).status).toBe(200);

    const done = await until('campaign completed', async () => {
      const c = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body;
      return c.status === 'completed' ? c : null;
    }, 120_000);
    expect(done.completionReason).toContain('budget of 12 experiments reached');

    const experiments: Record<string, any>[] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?limit=100`)).body.items;
    expect(experiments).toHaveLength(12);
    const measured: Record<string, any>[] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=instrument&limit=100`)).body.items;
    expect(measured).toHaveLength(12);
    const byExperiment = new Map(measured.map((m) => [m.experimentId, m]));
    const mine = dispatches.filter((d) => d.message.campaignId === id);
    let rejections = 0;
    let strictRejections = 0;
    for (const e of experiments) {
      // Every experiment has a legal value for each variable (the genetic strategy proposed them).
      expect(Object.keys(e.process).sort()).toEqual(['castingDiameterMm', 'coolingMethod']);
      expect(checkProcessValues(e.process, PROCESS)).toEqual([]);
      // Each dispatch of it carried its process.
      const sent = mine.filter((d) => d.message.experimentId === e.id);
      expect(sent.length).toBeGreaterThan(0);
      for (const d of sent) expect(d.message.process).toEqual(e.process);
      // The result reported the process used; it is stored with the measurement, not flagged.
      const m = byExperiment.get(e.id)!;
      expect(m.process).toEqual(e.process);
      expect(m.flags).not.toContain('process_deviation');
      // The rig that cannot make it rejected it with the reason; the one that can made it.
      const detail = (await api(t.baseUrl, 'GET', `/api/v1/experiments/${e.id}`)).body;
      const rejected: { instrumentId: string; lastEvent: { reason: string } }[] = detail.jobs.filter((j: { status: string }) => j.status === 'rejected');
      expect(m.instrumentId).not.toBe(strict.id);
      for (const j of rejected.filter((x) => x.instrumentId === strict.id)) {
        expect(j.lastEvent.reason).toBe('job.dispatch: unknown field "process"');
        strictRejections++;
      }
      const byNarrow = rejected.filter((x) => x.instrumentId === narrow.id);
      expect(rejected.length).toBe(byNarrow.length + rejected.filter((x) => x.instrumentId === strict.id).length);
      if (processRejection(e.process, NARROW)) {
        expect(m.instrumentId).toBe(wide.id);
        for (const j of byNarrow) expect(j.lastEvent.reason).toMatch(/cannot honour (castingDiameterMm|coolingMethod)=/);
        rejections += byNarrow.length;
      } else {
        expect(byNarrow).toEqual([]);
      }
    }
    // The seed made this run ask the narrow rig for something it cannot make, at least once.
    expect(rejections).toBeGreaterThan(0);
    expect(strictRejections).toBeGreaterThan(0);
    // Variety: the genetic strategy varied the process, not only the composition.
    expect(new Set(experiments.map((e) => JSON.stringify(e.process))).size).toBeGreaterThan(2);

    // Exports carry the process of experiments and measurements.
    const csv = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/export/measurements.csv`)).body as string;
    expect(csv.split('\n')[0].split(',')).toContain('process');
    const exported: Record<string, any>[] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/export/experiments.json`)).body;
    for (const e of exported) {
      expect(e.process).toEqual(experiments.find((x) => x.id === e.id)!.process);
      expect(e.measurement.process).toEqual(e.process);
    }
    await narrow.stop();
    await wide.stop();
    await strict.stop();
    await until('the rigs offline', async () => {
      const list: { id: string; state: string }[] = (await api(t.baseUrl, 'GET', '/api/v1/instruments')).body;
      return [narrow.id, wide.id, strict.id].every((rid) => list.find((x) => x.id === rid)?.state === 'offline');
    });
  }, 200_000);

  it('protocol 1.3: an instrument that states what it can make is sent only jobs it can make (no rejections)', async () => {
    const narrow = rig('narrow-13', { protocol: '1.3', processSupport: NARROW, maxConcurrentJobs: 8 });
    const wide = rig('wide-13', { protocol: '1.3', processSupport: WIDE, maxConcurrentJobs: 2 });
    await narrow.start();
    await wide.start();
    const registered = await until('the rigs online with their process support', async () => {
      const list: { id: string; state: string; capabilities: { process?: unknown } }[] = (await api(t.baseUrl, 'GET', '/api/v1/instruments')).body;
      const n = list.find((x) => x.id === narrow.id);
      return n?.state === 'online' && list.find((x) => x.id === wide.id)?.state === 'online' ? n : null;
    });
    expect(registered.capabilities.process).toEqual(NARROW);
    const fields = demoCampaign({ name: 'process campaign 1.3', budget: 12, batchSize: 4, seed: 8, strategy: { method: 'genetic' } });
    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', { ...fields, designSpace: { ...(fields.designSpace as object), process: PROCESS } });
    const id = created.body.id as string;
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/measurements/import`, seedRows(30))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/start`)).status).toBe(200);
    await until('campaign completed', async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body.status === 'completed', 120_000);

    const experiments: Record<string, any>[] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?limit=100`)).body.items;
    expect(experiments).toHaveLength(12);
    let narrowCannot = 0;
    for (const e of experiments) {
      const sent = dispatches.filter((d) => d.message.experimentId === e.id);
      // One dispatch each: nothing was rejected and sent again.
      expect(sent).toHaveLength(1);
      const detail = (await api(t.baseUrl, 'GET', `/api/v1/experiments/${e.id}`)).body;
      expect(detail.jobs.filter((j: { status: string }) => j.status === 'rejected')).toEqual([]);
      if (processRejection(e.process, NARROW)) {
        narrowCannot++;
        expect(sent[0].instrumentId).toBe(wide.id);
      }
      // Whichever rig it went to can make it.
      expect(processRejection(e.process, sent[0].instrumentId === narrow.id ? NARROW : WIDE)).toBeNull();
    }
    // The seed proposes processes the narrow rig cannot make (the larger rig is not asked for them).
    expect(narrowCannot).toBeGreaterThan(0);
    await narrow.stop();
    await wide.stop();
  }, 200_000);

  /**
   * A campaign with the process variables, proposed by `strategy`, run to its budget on a rig that
   * makes every value: every experiment has legal values of both variables, each dispatch carried
   * them and the result reported them. Returns the experiments.
   */
  async function designedProcessCampaign(rigName: string, name: string, budget: number, seed: number, strategy: Record<string, unknown>): Promise<Record<string, any>[]> {
    const wide = rig(rigName, { processSupport: WIDE, maxConcurrentJobs: 4 });
    await wide.start();
    const fields = demoCampaign({ name, budget, batchSize: 4, seed, strategy });
    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', { ...fields, designSpace: { ...(fields.designSpace as object), process: PROCESS } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/measurements/import`, seedRows(40))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/start`)).status).toBe(200);
    await until('campaign completed', async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body.status === 'completed', 150_000);
    const experiments: Record<string, any>[] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?limit=100`)).body.items;
    expect(experiments).toHaveLength(budget);
    const measured: Record<string, any>[] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=instrument&limit=100`)).body.items;
    for (const e of experiments) {
      expect(e.prediction.successProbability).toBeGreaterThanOrEqual(0); // proposed by the strategy's models, not a random fallback
      expect(checkProcessValues(e.process, PROCESS)).toEqual([]);
      expect(Object.keys(e.process).sort()).toEqual(['castingDiameterMm', 'coolingMethod']);
      for (const d of dispatches.filter((x) => x.message.experimentId === e.id)) expect(d.message.process).toEqual(e.process);
      expect(measured.find((m) => m.experimentId === e.id)!.process).toEqual(e.process);
    }
    await wide.stop();
    await until('rig offline', async () => ((await api(t.baseUrl, 'GET', '/api/v1/instruments')).body as { id: string; state: string }[]).find((x) => x.id === wide.id)?.state === 'offline');
    return experiments;
  }

  it('AIMatDesign designs the process too: its proposals carry process values the lab makes and reports', async () => {
    await designedProcessCampaign('wide-rig-2', 'process campaign (aimatdesign)', 4, 4, { method: 'aimatdesign', episodesPerIteration: 2, refreshEpisodes: 1, stepsPerEpisode: 16 });
  }, 200_000);

  it('bo designs the process too: its GP models take the process, its proposals carry process values the lab makes and reports', async () => {
    const experiments = await designedProcessCampaign('wide-rig-3', 'process campaign (bo)', 8, 6, { method: 'bo' });
    // Not the defaults every time (bo chose them): the seed data was all made with the defaults.
    expect(experiments.filter((e) => e.process.castingDiameterMm !== 3 || e.process.coolingMethod !== 'copper-mould').length).toBeGreaterThan(0);
    expect(new Set(experiments.map((e) => JSON.stringify(e.process))).size).toBeGreaterThan(1);
  }, 200_000);

  it('a strict protocol-1.0 instrument completes a campaign without process variables (its dispatches carry no process field)', async () => {
    const v1 = rig('v1-rig', { protocol: '1.0', maxConcurrentJobs: 4 });
    await v1.start();
    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign({ name: 'no process', budget: 4, batchSize: 4, seed: 9 }));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.designSpace.process).toBeUndefined();
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${id}/start`)).status).toBe(200);
    await until('campaign completed', async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}`)).body.status === 'completed', 60_000);

    const mine = dispatches.filter((d) => d.message.campaignId === id);
    expect(mine.length).toBe(4);
    for (const d of mine) {
      expect(d.instrumentId).toBe(v1.id);
      expect('process' in d.raw).toBe(false);
    }
    const measured: Record<string, any>[] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=instrument&limit=100`)).body.items;
    expect(measured).toHaveLength(4);
    for (const m of measured) {
      expect(m.instrumentId).toBe(v1.id);
      expect(m.process).toBeNull();
    }
    const experiments: Record<string, any>[] = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?limit=100`)).body.items;
    for (const e of experiments) expect(e.process).toBeNull();
  }, 120_000);
});
