/**
 * Virtual instruments end to end over a real broker (Mosquitto on 127.0.0.1:1883) and again over
 * the embedded aedes broker: a test client plays the service and checks every message with the
 * protocol codec.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import {
  decodeInstrumentMessage,
  encodeJobCancel,
  encodeJobDispatch,
  InstrumentTopics,
  type InstrumentMessage,
  type Stage,
} from '../../adapters/mqtt/protocol.js';
import { createOracle } from '../../simulators/oracle.js';
import { VirtualInstrument, type VirtualInstrumentOptions } from '../../simulators/virtual-instrument.js';

const MOSQUITTO_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
// 4 h synthesis -> 20 ms, 2 h mechanical test -> 10 ms.
const SPEED = 720_000;
const oracle = createOracle(7);

interface Service {
  topics: InstrumentTopics;
  received: InstrumentMessage[];
  invalid: string[];
  connection: MqttConnection;
  dispatch(instrumentId: string, jobId: string, composition: Record<string, number>, stages?: Stage[]): Promise<void>;
  waitFor(predicate: (messages: InstrumentMessage[]) => boolean, what: string, timeoutMs?: number): Promise<void>;
  forJob(jobId: string): InstrumentMessage[];
}

async function startService(url: string, prefix: string): Promise<Service> {
  const topics = new InstrumentTopics(prefix);
  const received: InstrumentMessage[] = [];
  const invalid: string[] = [];
  const connection = await MqttConnection.connect({
    url,
    clientId: `test-service-${randomBytes(4).toString('hex')}`,
    clean: true,
    onMessage: (topic, payload) => {
      const decoded = decodeInstrumentMessage(topics, topic, payload);
      if (decoded.ok) received.push(decoded.message);
      else invalid.push(`${topic}: ${decoded.reason}`);
    },
  });
  await connection.subscribe([topics.filter('status'), topics.filter('events'), topics.filter('results')]);
  return {
    topics,
    received,
    invalid,
    connection,
    async dispatch(instrumentId, jobId, composition, stages = ['synthesis', 'mechanical_test']) {
      const issuedAt = new Date();
      const payload = encodeJobDispatch({
        jobId,
        experimentId: `exp-${jobId}`,
        campaignId: 'camp-1',
        composition,
        stages,
        issuedAt: issuedAt.toISOString(),
        deadline: new Date(issuedAt.getTime() + 86_400_000).toISOString(),
      });
      await connection.publish(topics.jobs(instrumentId), payload);
    },
    async waitFor(predicate, what, timeoutMs = 5000) {
      const started = Date.now();
      while (!predicate(received)) {
        if (Date.now() - started > timeoutMs) {
          throw new Error(`timed out waiting for ${what}; received ${JSON.stringify(received.map((m) => m.message))}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    forJob(jobId) {
      return received.filter((m) => (m.channel === 'events' || m.channel === 'results') && m.message.jobId === jobId);
    },
  };
}

const kinds = (messages: InstrumentMessage[]) =>
  messages.map((m) => {
    if (m.channel === 'results') return 'result';
    if (m.channel !== 'events') return m.channel;
    const e = m.message;
    if (e.type === 'job.started') return `started:${e.stage}`;
    if (e.type === 'job.progress') return `progress:${e.stage}:${e.fraction}`;
    return e.type.slice('job.'.length);
  });

const BROKERS: Array<[string, () => Promise<{ url: string; close: () => Promise<void> }>]> = [
  ['Mosquitto', async () => ({ url: MOSQUITTO_URL, close: async () => {} })],
  [
    'embedded aedes',
    async () => {
      const broker: EmbeddedBroker = await startEmbeddedBroker({ port: 0 });
      return { url: broker.url, close: () => broker.close() };
    },
  ],
];

describe.each(BROKERS)('virtual instrument on %s', (_name, startBroker) => {
  let broker: { url: string; close: () => Promise<void> };
  let prefix: string;
  let service: Service;
  const instruments: VirtualInstrument[] = [];
  const usedIds: string[] = [];

  const statesOf = (instrumentId: string) =>
    service.received.flatMap((m) => (m.channel === 'status' && m.instrumentId === instrumentId ? [m.message.state] : []));

  const startInstrument = async (options: Partial<VirtualInstrumentOptions> = {}) => {
    const instrument = new VirtualInstrument({
      url: broker.url,
      prefix,
      instrumentId: `rig-${randomBytes(3).toString('hex')}`,
      oracle,
      seed: 3,
      speed: SPEED,
      progressSteps: 2,
      sessionExpirySeconds: 60,
      ...options,
    });
    instruments.push(instrument);
    usedIds.push(instrument.id);
    await instrument.start();
    return instrument;
  };

  beforeAll(async () => {
    broker = await startBroker();
    prefix = `aimd-test-${randomBytes(4).toString('hex')}/v1`;
    service = await startService(broker.url, prefix);
  });

  afterEach(async () => {
    await Promise.all(instruments.splice(0).map((instrument) => instrument.stop()));
  });

  afterAll(async () => {
    // Clear the retained statuses this run left on the shared broker.
    for (const id of usedIds) await service.connection.publish(service.topics.status(id), '', { retain: true });
    await service?.connection.close();
    await broker?.close();
  });

  it('publishes a retained online status with its capabilities', async () => {
    const rig = await startInstrument({ elements: ['Zr', 'Cu', 'Ni', 'Al'], maxConcurrentJobs: 2 });
    await service.waitFor((ms) => ms.some((m) => m.channel === 'status' && m.instrumentId === rig.id), 'status');
    const status = service.received.find((m) => m.channel === 'status' && m.instrumentId === rig.id)!;
    expect(status.message).toMatchObject({
      state: 'online',
      capabilities: { stages: ['synthesis', 'mechanical_test'], elements: ['Zr', 'Cu', 'Ni', 'Al'], maxConcurrentJobs: 2 },
    });
    // Retained: a late subscriber gets it too.
    const late = await startService(broker.url, prefix);
    await late.waitFor((ms) => ms.some((m) => m.channel === 'status' && m.instrumentId === rig.id), 'retained status');
    await late.connection.close();
  });

  it('runs a dispatched job: accepted, started/progress per stage, then a valid result', async () => {
    const rig = await startInstrument();
    const composition = { Zr: 62.5, Cu: 22.5, Al: 10, Ni: 5 };
    await service.dispatch(rig.id, 'job-ok-1', composition);
    await service.waitFor((ms) => ms.some((m) => m.channel === 'results' && m.message.jobId === 'job-ok-1'), 'the result');

    expect(kinds(service.forJob('job-ok-1'))).toEqual([
      'accepted',
      'started:synthesis',
      'progress:synthesis:0.5',
      'progress:synthesis:1',
      'started:mechanical_test',
      'progress:mechanical_test:0.5',
      'progress:mechanical_test:1',
      'result',
    ]);
    const result = service.forJob('job-ok-1').at(-1)!;
    if (result.channel !== 'results') throw new Error('not a result');
    const measured = result.message;
    expect(result.instrumentId).toBe(rig.id);
    expect(measured.measurementId).toMatch(new RegExp(`^${rig.id}-[a-z0-9]+-\\d{6}$`));
    // As made: the same elements, each within half an at.% of the target, 2 decimals, sum 100.
    expect(Object.keys(measured.composition).sort()).toEqual(Object.keys(composition).sort());
    for (const [el, v] of Object.entries(measured.composition)) {
      expect(Math.abs(v - composition[el as keyof typeof composition])).toBeLessThan(0.5);
      expect(Math.round(v * 100) / 100).toBe(v);
    }
    expect(Object.values(measured.composition).reduce((s, v) => s + v, 0)).toBeCloseTo(100, 6);
    expect(['amorphous', 'partially_crystalline', 'crystalline']).toContain(measured.phase);
    expect(measured.raw).toMatchObject({ dispatchedComposition: composition });
    // Busy while running, online again after.
    expect(statesOf(rig.id)).toContain('busy');
    await service.waitFor(() => statesOf(rig.id).at(-1) === 'online', 'online again');
    expect(service.invalid).toEqual([]);
  });

  it('rejects a job with an element it does not stock, and a malformed dispatch', async () => {
    const rig = await startInstrument({ elements: ['Zr', 'Cu', 'Ni', 'Al'] });
    await service.dispatch(rig.id, 'job-be-1', { Zr: 41.2, Ti: 13.8, Cu: 12.5, Ni: 10, Be: 22.5 });
    await service.connection.publish(
      service.topics.jobs(rig.id),
      JSON.stringify({ type: 'job.dispatch', jobId: 'job-bad-1', composition: { Zr: 90 } }),
    );
    await service.waitFor((ms) => ms.filter((m) => m.channel === 'events' && m.message.type === 'job.rejected').length >= 2, 'two rejections');
    const rejected = (jobId: string) => {
      const m = service.forJob(jobId);
      expect(kinds(m)).toEqual(['rejected']);
      return m[0].channel === 'events' && m[0].message.type === 'job.rejected' ? m[0].message.reason : '';
    };
    expect(rejected('job-be-1')).toBe('elements Ti, Be not stocked');
    expect(rejected('job-bad-1')).toMatch(/^job.dispatch: experimentId: missing \(required\);.*composition: atomic percents sum to 90/);
  });

  it('ignores a redelivered dispatch and drops a cancelled job', async () => {
    const rig = await startInstrument({ stageHours: { synthesis: 400, mechanical_test: 2 } }); // 2 s synthesis
    await service.dispatch(rig.id, 'job-cancel-1', { Zr: 60, Cu: 30, Al: 10 });
    await service.dispatch(rig.id, 'job-cancel-1', { Zr: 60, Cu: 30, Al: 10 });
    await service.waitFor(() => kinds(service.forJob('job-cancel-1')).includes('started:synthesis'), 'start');
    await service.connection.publish(service.topics.jobs(rig.id), encodeJobCancel('job-cancel-1'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(rig.activeJobs).toBe(0);
    expect(kinds(service.forJob('job-cancel-1'))).toEqual(['accepted', 'started:synthesis']);
  });

  it('reports a retryable failure', async () => {
    const rig = await startInstrument({ faults: { retryableFailure: 1 }, stages: ['synthesis'] });
    await service.dispatch(rig.id, 'job-fail-1', { Zr: 60, Cu: 30, Al: 10 }, ['synthesis']);
    await service.waitFor(() => kinds(service.forJob('job-fail-1')).includes('failed'), 'failure');
    const failed = service.forJob('job-fail-1').at(-1)!;
    expect(failed.message).toMatchObject({ type: 'job.failed', stage: 'synthesis', reason: 'crucible cracked', retryable: true });
  });

  it('publishes the same result twice under the duplicate fault', async () => {
    const rig = await startInstrument({ faults: { duplicateResult: 1 } });
    await service.dispatch(rig.id, 'job-dup-1', { Zr: 55, Cu: 30, Ni: 5, Al: 10 });
    await service.waitFor(() => kinds(service.forJob('job-dup-1')).filter((k) => k === 'result').length === 2, 'two results');
    const results = service.forJob('job-dup-1').filter((m) => m.channel === 'results');
    expect(results[0].message).toEqual(results[1].message);
  });

  it('delivers a late result after the delay', async () => {
    const rig = await startInstrument({ faults: { lateResult: 1 }, lateResultDelayMs: 300 });
    await service.dispatch(rig.id, 'job-late-1', { Zr: 55, Cu: 30, Ni: 5, Al: 10 });
    await service.waitFor(() => kinds(service.forJob('job-late-1')).includes('progress:mechanical_test:1'), 'end of test');
    const testEnded = Date.now();
    await service.waitFor(() => kinds(service.forJob('job-late-1')).includes('result'), 'late result');
    expect(Date.now() - testEnded).toBeGreaterThanOrEqual(250);
  });

  it('goes offline mid-job: the broker publishes its last will, retained', async () => {
    const rig = await startInstrument({ faults: { offlineMidJob: 1 }, offlineForMs: null });
    await service.dispatch(rig.id, 'job-off-1', { Zr: 55, Cu: 30, Ni: 5, Al: 10 });
    // The instrument itself publishes nothing when it drops: this offline status is the will.
    await service.waitFor(() => statesOf(rig.id).includes('offline'), 'the last will');
    expect(statesOf(rig.id)).toEqual(['online', 'busy', 'offline']);
    expect(rig.connected).toBe(false);
    expect(kinds(service.forJob('job-off-1'))).not.toContain('result');
    const late = await startService(broker.url, prefix);
    await late.waitFor((ms) => ms.some((m) => m.channel === 'status' && m.instrumentId === rig.id), 'retained will');
    expect(late.received.find((m) => m.channel === 'status' && m.instrumentId === rig.id)!.message).toMatchObject({
      state: 'offline',
      capabilities: { maxConcurrentJobs: 1 },
    });
    await late.connection.close();
  });

  it('comes back by itself after going offline and takes work again', async () => {
    const rig = await startInstrument({ faults: { offlineMidJob: 1 }, offlineForMs: 100 });
    await service.dispatch(rig.id, 'job-back-1', { Zr: 55, Cu: 30, Ni: 5, Al: 10 });
    await service.waitFor(() => statesOf(rig.id).join() === 'online,busy,offline,online', 'offline then online', 3000);
    expect(kinds(service.forJob('job-back-1'))).not.toContain('result');
  });

  it('keeps jobs sent while it was offline (persistent session, QoS 1)', async () => {
    const rig = await startInstrument();
    await rig.goOffline(null);
    await service.dispatch(rig.id, 'job-queued-1', { Zr: 55, Cu: 30, Ni: 5, Al: 10 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await rig.start();
    await service.waitFor(() => kinds(service.forJob('job-queued-1')).includes('result'), 'result of the queued job');
  });
});
