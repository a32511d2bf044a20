import { networkInterfaces } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { InstrumentTopics } from '../../adapters/mqtt/protocol.js';
import { loadConfig } from '../../src/config/config.js';
import { until } from '../support/closed-loop.js';
import { api, createTestDatabase, startTestApp, uniqueName } from '../support/services.js';

/**
 * Issue 17, high: the embedded broker listened on 0.0.0.0 without credentials by default; anyone
 * who reached it could announce a fake instrument with 1,000 slots, which stayed "online" after a
 * restart with MQTT_AUTH=on; withdrawing an instrument's credentials left its connection publishing.
 */
const open: MqttClient[] = [];
async function connect(url: string, username?: string, password?: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { username, password, reconnectPeriod: 0, connectTimeout: 3000, protocolVersion: 4, clientId: uniqueName('t') });
  open.push(client);
  return client;
}
function closedWithin(client: MqttClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}
/** An address of this machine that is not loopback (what another machine on the network would connect to). */
function externalAddress(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('this machine has no non-loopback IPv4 address to test from');
}
const portOf = (url: string) => Number(new URL(url.replace('mqtt://:', 'mqtt://0.0.0.0:')).port);

afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
});

describe('embedded broker defaults', () => {
  it('listens on 127.0.0.1 unless MQTT_HOST is set or MQTT_AUTH=on', () => {
    const host = (env: Record<string, string>) => {
      const c = loadConfig(env);
      return c.mqtt.mode === 'embedded' ? c.mqtt.host : null;
    };
    expect(host({})).toBe('127.0.0.1');
    expect(host({ MQTT_AUTH: 'on' })).toBe('0.0.0.0');
    expect(host({ MQTT_HOST: '0.0.0.0' })).toBe('0.0.0.0');
    expect(host({ MQTT_HOST: '10.1.2.3', MQTT_AUTH: 'on' })).toBe('10.1.2.3');
  });

  it('is not reachable from the network by default, trusts no instrument state from before a restart, and drops withdrawn credentials', async () => {
    const db = await createTestDatabase();
    try {
      // 1. default start (no MQTT_HOST, MQTT_AUTH off): only this machine reaches the broker
      const first = await startTestApp({ env: { DATABASE_URL: db.url, MQTT_URL: '', MQTT_PORT: '0' } });
      const port = portOf(first.infra.broker.url);
      expect(first.infra.describe().join('\n')).toContain('reachable from this machine only');
      await expect(connect(`mqtt://${externalAddress()}:${port}`)).rejects.toThrow();
      // someone on this machine announces a fake instrument with 1,000 slots
      const topics = new InstrumentTopics(first.config.mqtt.topicPrefix);
      const fake = await connect(`mqtt://127.0.0.1:${port}`);
      const capabilities = { stages: ['synthesis', 'mechanical_test'], elements: ['Zr', 'Cu', 'Al', 'Ni', 'Ti'], maxConcurrentJobs: 1000 };
      await fake.publishAsync(topics.status('fake-rig'), JSON.stringify({ state: 'online', at: new Date().toISOString(), capabilities }), { qos: 1, retain: true });
      await until('fake instrument online', async () => (await api(first.baseUrl, 'GET', '/api/v1/instruments/fake-rig')).body.state === 'online');
      await fake.endAsync(true);
      await first.close();

      // 2. restart on the same database with MQTT_AUTH=on: the fake instrument is not trusted
      const second = await startTestApp({ env: { DATABASE_URL: db.url, MQTT_URL: '', MQTT_PORT: '0', MQTT_AUTH: 'on', MQTT_TOPIC_PREFIX: first.config.mqtt.topicPrefix } });
      try {
        expect((await api(second.baseUrl, 'GET', '/api/v1/instruments/fake-rig')).body.state).toBe('offline');
        expect(second.infra.describe().join('\n')).toContain('instrument credentials and topic rights enforced');

        // 3. withdrawing an instrument's credentials closes its open connection at once
        const url = `mqtt://127.0.0.1:${portOf(second.infra.broker.url)}`;
        const issued = await api(second.baseUrl, 'POST', '/api/v1/instruments/rig-w/credentials');
        const rig = await connect(url, 'rig-w', issued.body.password);
        const replacedRig = await connect(url, 'rig-w', issued.body.password);
        await api(second.baseUrl, 'POST', '/api/v1/instruments/rig-w/credentials'); // replaced: the old password's connections go
        expect(await closedWithin(replacedRig, 3000)).toBe(true);
        expect(await closedWithin(rig, 3000)).toBe(true);
        const renewed = await api(second.baseUrl, 'POST', '/api/v1/instruments/rig-w/credentials');
        const again = await connect(url, 'rig-w', renewed.body.password);
        expect((await api(second.baseUrl, 'DELETE', '/api/v1/instruments/rig-w/credentials')).status).toBe(204);
        expect(await closedWithin(again, 3000)).toBe(true);

        // 4. an instrument's credentials cannot take over the service's own client id (it would disconnect the service)
        const rigT = await api(second.baseUrl, 'POST', '/api/v1/instruments/rig-t/credentials');
        const takeover = mqtt.connectAsync(url, { username: 'rig-t', password: rigT.body.password, clientId: second.config.mqttClientId, reconnectPeriod: 0, protocolVersion: 4 });
        await expect(takeover).rejects.toThrow(/Bad username or password|Not authorized/i);
        expect((await api(second.baseUrl, 'GET', '/health')).body.broker.ok).toBe(true);

        // 5. a client looping on forbidden topics fills the rejected store with at most 20 rows
        const loop = await connect(url, 'rig-t', rigT.body.password);
        for (let i = 0; i < 60; i++) loop.publish(topics.results('someone-else'), `{"n":${i}}`, { qos: 0 });
        await new Promise((r) => setTimeout(r, 1000));
        const [{ n }] = await second.infra.dataSource.query(`SELECT count(*)::int AS n FROM rejected_message WHERE instrument_id = 'rig-t'`);
        expect(n).toBeGreaterThan(0);
        expect(n).toBeLessThanOrEqual(20);
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });
});
