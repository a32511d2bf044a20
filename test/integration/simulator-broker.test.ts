/** The MQTT plumbing the virtual lab and the service share: connection wrapper and embedded broker. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BrokerPortInUseError, startEmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';

const MOSQUITTO_URL = process.env.MQTT_URL ?? 'mqtt://127.0.0.1:1883';
const unique = () => randomBytes(4).toString('hex');

async function until(check: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('embedded broker', () => {
  it('reports a port that is already taken', async () => {
    const first = await startEmbeddedBroker({ port: 0 });
    try {
      const second = startEmbeddedBroker({ port: first.port });
      await expect(second).rejects.toBeInstanceOf(BrokerPortInUseError);
      await expect(startEmbeddedBroker({ port: first.port })).rejects.toThrow(`127.0.0.1:${first.port} is already in use`);
    } finally {
      await first.close();
    }
  });

  it('applies the authentication and authorisation hooks', async () => {
    const broker = await startEmbeddedBroker({
      port: 0,
      security: {
        authenticate: (_clientId, username, password) => username === 'rig' && password?.toString() === 'secret',
        authorizeSubscribe: (_clientId, filter) => !filter.startsWith('forbidden/'),
        authorizePublish: (_clientId, topic) => !topic.startsWith('forbidden/'),
      },
    });
    try {
      await expect(MqttConnection.connect({ url: broker.url, clientId: `c-${unique()}`, username: 'rig', password: 'wrong' })).rejects.toThrow(
        /Bad username or password/i,
      );
      const ok = await MqttConnection.connect({ url: broker.url, clientId: `c-${unique()}`, username: 'rig', password: 'secret' });
      await expect(ok.subscribe('forbidden/x')).rejects.toThrow(/refused subscription to "forbidden\/x"/);
      await ok.subscribe('allowed/x');
      await ok.close();
    } finally {
      await broker.close();
    }
  });

  it('falls back to MQTT 3.1.1 when the broker refuses 5, unless 5 was asked for', async () => {
    const broker = await startEmbeddedBroker({ port: 0 });
    try {
      const auto = await MqttConnection.connect({ url: broker.url, clientId: `c-${unique()}` });
      expect(auto.protocolVersion).toBe(4);
      await auto.close();
      await expect(MqttConnection.connect({ url: broker.url, clientId: `c-${unique()}`, protocolVersion: 5 })).rejects.toThrow(
        /protocol version/i,
      );
    } finally {
      await broker.close();
    }
  });

  it('a client reconnects and resubscribes when a restarted broker lost its session', async () => {
    let broker = await startEmbeddedBroker({ port: 0 });
    const port = broker.port;
    const received: string[] = [];
    const client = await MqttConnection.connect({
      url: broker.url,
      clientId: `c-${unique()}`,
      reconnectPeriodMs: 50,
      onMessage: (_topic, payload) => received.push(payload.toString()),
    });
    const reconnects: boolean[] = [];
    client.on('connect', ({ resumed }) => reconnects.push(resumed));
    try {
      await client.subscribe('lab/x');
      await broker.close();
      broker = await startEmbeddedBroker({ port });
      await until(() => reconnects.length > 0, 'reconnect');
      expect(reconnects[0]).toBe(false);
      const publisher = await MqttConnection.connect({ url: broker.url, clientId: `p-${unique()}` });
      // The resubscription races the first publish; publish until one lands.
      for (let i = 0; i < 100 && !received.includes('after restart'); i++) {
        await publisher.publish('lab/x', 'after restart');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(received).toContain('after restart');
      await publisher.close();
    } finally {
      await client.close();
      await broker.close();
    }
  });
});

describe.each([
  ['Mosquitto', async () => ({ url: MOSQUITTO_URL, close: async () => {} })],
  ['embedded aedes', async () => startEmbeddedBroker({ port: 0 })],
])('MQTT connection on %s', (_name, startBroker) => {
  it('keeps QoS 1 messages for a persistent session while it is away', async () => {
    const broker = await startBroker();
    const topic = `aimd-test-${unique()}/queued`;
    const clientId = `persistent-${unique()}`;
    const received: string[] = [];
    try {
      const first = await MqttConnection.connect({ url: broker.url, clientId, sessionExpirySeconds: 30 });
      await first.subscribe(topic);
      await first.close();
      const publisher = await MqttConnection.connect({ url: broker.url, clientId: `p-${unique()}`, clean: true });
      await publisher.publish(topic, 'sent while away');
      await publisher.close();
      const again = await MqttConnection.connect({
        url: broker.url,
        clientId,
        sessionExpirySeconds: 30,
        onMessage: (_t, payload) => received.push(payload.toString()),
      });
      await until(() => received.includes('sent while away'), 'queued message');
      await again.close();
    } finally {
      await broker.close();
    }
  });

  it('publishes the will on a dropped connection but not on a clean close', async () => {
    const broker = await startBroker();
    const topic = `aimd-test-${unique()}/will`;
    const wills: string[] = [];
    try {
      const watcher = await MqttConnection.connect({ url: broker.url, clientId: `w-${unique()}`, clean: true });
      watcher.onMessage((_t, payload) => wills.push(payload.toString()));
      await watcher.subscribe(topic);
      const polite = await MqttConnection.connect({ url: broker.url, clientId: `a-${unique()}`, clean: true, will: { topic, payload: 'polite' } });
      await polite.close();
      const crashing = await MqttConnection.connect({ url: broker.url, clientId: `b-${unique()}`, clean: true, will: { topic, payload: 'crashed' } });
      await crashing.drop();
      await until(() => wills.includes('crashed'), 'will');
      expect(wills).toEqual(['crashed']);
      await watcher.close();
    } finally {
      await broker.close();
    }
  });
});

describe('shared subscriptions (Mosquitto, MQTT 5)', () => {
  it('delivers each message to one member of the group', async () => {
    const filter = `aimd-test-${unique()}/results/+`;
    const group = `svc-${unique()}`;
    const got: string[][] = [[], []];
    const members = await Promise.all(
      got.map((list) =>
        MqttConnection.connect({ url: MOSQUITTO_URL, clientId: `m-${unique()}`, clean: true, onMessage: (_t, p) => list.push(p.toString()) }),
      ),
    );
    for (const member of members) await member.subscribe(`$share/${group}/${filter}`);
    const publisher = await MqttConnection.connect({ url: MOSQUITTO_URL, clientId: `p-${unique()}`, clean: true });
    const sent = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const message of sent) await publisher.publish(filter.replace('+', 'rig1'), message);
    await until(() => got[0].length + got[1].length === sent.length, 'all messages');
    expect([...got[0], ...got[1]].sort()).toEqual([...sent].sort());
    await Promise.all([...members, publisher].map((c) => c.close()));
  });
});
