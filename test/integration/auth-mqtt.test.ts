import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InstrumentTopics } from '../../adapters/mqtt/protocol.js';
import { api, startTestApp, type TestApp } from '../support/services.js';

const open: MqttClient[] = [];

async function connect(url: string, username?: string, password?: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { username, password, reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, clientId: `t-${username ?? 'anon'}-${Math.random().toString(36).slice(2, 8)}` });
  open.push(client);
  return client;
}

async function refused(url: string, username?: string, password?: string): Promise<string> {
  try {
    const c = await connect(url, username, password);
    await c.endAsync();
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}

/** Resolves when the broker closes this client's connection (or after ms, with false). */
function closedWithin(client: MqttClient, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (client.disconnected || !client.connected) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    client.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function nextMessage(client: MqttClient, topic: string, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message on ${topic} within ${ms} ms`)), ms);
    const onMessage = (t: string, payload: Buffer) => {
      if (t !== topic) return;
      clearTimeout(timer);
      client.removeListener('message', onMessage);
      resolve(payload.toString());
    };
    client.on('message', onMessage);
  });
}

afterAll(async () => {
  await Promise.all(open.map((c) => c.endAsync(true).catch(() => undefined)));
});

describe('embedded broker with MQTT_AUTH=on: instrument credentials and topic rights', () => {
  let t: TestApp;
  let url: string;
  let topics: InstrumentTopics;
  const passwords: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp({ env: { MQTT_URL: '', MQTT_HOST: '127.0.0.1', MQTT_PORT: '0', MQTT_AUTH: 'on' } });
    url = `mqtt://127.0.0.1:${new URL(t.infra.broker.url.replace('0.0.0.0', '127.0.0.1')).port}`;
    topics = new InstrumentTopics(t.config.mqtt.topicPrefix);
    for (const id of ['rig-1', 'rig-2']) {
      const issued = await api(t.baseUrl, 'POST', `/api/v1/instruments/${id}/credentials`);
      expect(issued.status).toBe(201);
      expect(issued.body).toMatchObject({ instrumentId: id, username: id, topicPrefix: `${t.config.mqtt.topicPrefix}/instruments/${id}/` });
      passwords[id] = issued.body.password;
    }
  });
  afterAll(async () => {
    await t?.close();
  });

  it('lets the service in with its own generated credential, and instruments only with theirs', async () => {
    expect((await api(t.baseUrl, 'GET', '/health')).body.broker).toMatchObject({ ok: true, mode: 'embedded' });
    expect(await refused(url)).toMatch(/Bad username or password|Not authorized/i);
    expect(await refused(url, 'rig-1', 'wrong')).toMatch(/Bad username or password/i);
    expect(await refused(url, 'rig-9', passwords['rig-1'])).toMatch(/Bad username or password/i);
    expect(await refused(url, 'rig-2', passwords['rig-1'])).toMatch(/Bad username or password/i);
    expect(await refused(url, 'rig-1', passwords['rig-1'])).toBe('accepted');
    // the stored hash is mosquitto's $7$ format, never the password
    const [row] = await t.infra.dataSource.query(`SELECT password_hash FROM instrument_credential WHERE instrument_id = 'rig-1'`);
    expect(row.password_hash).toMatch(/^\$7\$101\$/);
    expect(JSON.stringify(await t.infra.dataSource.query(`SELECT * FROM instrument_credential`))).not.toContain(passwords['rig-1']);
    expect((await api(t.baseUrl, 'GET', '/api/v1/instruments/rig-1/credentials')).body).toEqual({
      instrumentId: 'rig-1', username: 'rig-1', createdBy: 'admin (ADMIN_API_KEY)', createdAt: expect.any(String),
    });
  });

  it('lets an instrument read only its own jobs topic', async () => {
    const rig1 = await connect(url, 'rig-1', passwords['rig-1']);
    expect((await rig1.subscribeAsync(topics.jobs('rig-1'), { qos: 1 })).map((g) => g.qos)).toEqual([1]);
    // a refused filter comes back with SUBACK failure code 0x80, which mqtt.js turns into an error
    for (const filter of [topics.jobs('rig-2'), `${t.config.mqtt.topicPrefix}/#`, topics.filter('jobs'), topics.results('rig-1')]) {
      await expect(rig1.subscribeAsync(filter, { qos: 1 }), filter).rejects.toThrow(/Subscribe error/);
    }
    const job = nextMessage(rig1, topics.jobs('rig-1'));
    await t.infra.mqtt.publish(topics.jobs('rig-1'), '{"type":"job.cancel","jobId":"j-1"}');
    expect(await job).toBe('{"type":"job.cancel","jobId":"j-1"}');
  });

  it('refuses (and records) a publish under another instrument\'s id or above the payload limit', async () => {
    const rig1 = await connect(url, 'rig-1', passwords['rig-1']);
    await rig1.publishAsync(topics.status('rig-1'), JSON.stringify({ state: 'online', at: new Date().toISOString() }), { qos: 1, retain: true });
    expect(rig1.connected).toBe(true);
    rig1.publish(topics.results('rig-2'), '{"jobId":"forged"}', { qos: 1 });
    expect(await closedWithin(rig1, 3000)).toBe(true);

    const again = await connect(url, 'rig-1', passwords['rig-1']);
    again.publish(topics.results('rig-1'), Buffer.alloc(300 * 1024, 0x20), { qos: 1 });
    expect(await closedWithin(again, 3000)).toBe(true);

    let rows: { topic: string; instrument_id: string; reason: string }[] = [];
    for (let i = 0; i < 50 && rows.length < 2; i++) {
      rows = await t.infra.dataSource.query(`SELECT topic, instrument_id, reason FROM rejected_message WHERE reason LIKE 'broker refused%' ORDER BY received_at`);
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).toEqual([
      { topic: topics.results('rig-2'), instrument_id: 'rig-1', reason: "broker refused the publish: not this instrument's topic" },
      { topic: topics.results('rig-1'), instrument_id: 'rig-1', reason: 'broker refused the publish: payload of 307200 bytes exceeds 262144' },
    ]);
  });

  it('withdrawn credentials stop the next login; new ones replace the old password', async () => {
    expect((await api(t.baseUrl, 'DELETE', '/api/v1/instruments/rig-2/credentials')).status).toBe(204);
    expect(await refused(url, 'rig-2', passwords['rig-2'])).toMatch(/Bad username or password/i);
    expect((await api(t.baseUrl, 'GET', '/api/v1/instruments/rig-2/credentials')).status).toBe(404);
    const renewed = await api(t.baseUrl, 'POST', '/api/v1/instruments/rig-1/credentials');
    expect(await refused(url, 'rig-1', passwords['rig-1'])).toMatch(/Bad username or password/i);
    expect(await refused(url, 'rig-1', renewed.body.password)).toBe('accepted');
    expect((await api(t.baseUrl, 'POST', '/api/v1/instruments/bad%20id/credentials')).status).toBe(400);
  });
});

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('Mosquitto with the password and ACL files the service writes', () => {
  let t: TestApp;
  let dir: string;
  let broker: ChildProcess | undefined;
  let url: string;
  let topics: InstrumentTopics;
  const service = { username: 'aimd-service', password: 'service-secret-for-the-test' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'aimd-mosq-'));
    t = await startTestApp({
      env: {
        MOSQUITTO_PASSWORD_FILE: join(dir, 'passwd'),
        MOSQUITTO_ACL_FILE: join(dir, 'acl'),
        MQTT_USERNAME: service.username,
        MQTT_PASSWORD: service.password,
      },
    });
    topics = new InstrumentTopics(t.config.mqtt.topicPrefix);
    const port = await freePort();
    url = `mqtt://127.0.0.1:${port}`;
    writeFileSync(
      join(dir, 'mosquitto.conf'),
      [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${join(dir, 'passwd')}`, `acl_file ${join(dir, 'acl')}`, 'persistence false', 'user root', ''].join('\n'),
    );
  });
  afterAll(async () => {
    broker?.kill('SIGTERM');
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startMosquitto(): Promise<void> {
    broker = spawn('mosquitto', ['-c', join(dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    broker.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    for (let i = 0; i < 50; i++) {
      if ((await refused(url, service.username, service.password)) === 'accepted') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`mosquitto did not start: ${log}`);
  }

  it('writes mosquitto_passwd-format and ACL files (hashes only) at start and when credentials change', async () => {
    const issued = await api(t.baseUrl, 'POST', '/api/v1/instruments/rig-1/credentials');
    expect(issued.status).toBe(201);
    const passwd = readFileSync(join(dir, 'passwd'), 'utf8');
    expect(passwd).toMatch(/^aimd-service:\$7\$101\$[^\n]+\nrig-1:\$7\$101\$[^\n]+\n$/);
    expect(passwd).not.toContain(issued.body.password);
    expect(passwd).not.toContain(service.password);
    const acl = readFileSync(join(dir, 'acl'), 'utf8');
    expect(acl).toContain(`pattern write ${t.config.mqtt.topicPrefix}/instruments/%u/results`);
    expect(acl).toContain(`pattern read ${t.config.mqtt.topicPrefix}/instruments/%u/jobs`);
    expect(acl).toContain(`user aimd-service\ntopic readwrite ${t.config.mqtt.topicPrefix}/#`);
  });

  it('a real mosquitto started on those files accepts the instrument on its own topics only', async () => {
    const rig1Password = (await api(t.baseUrl, 'POST', '/api/v1/instruments/rig-1/credentials')).body.password as string;
    await startMosquitto();
    expect(await refused(url, 'rig-1', 'wrong')).toMatch(/Not authorized|Bad username or password/i);
    expect(await refused(url)).toMatch(/Not authorized|Bad username or password/i);

    const svc = await connect(url, service.username, service.password);
    await svc.subscribeAsync([`$share/aimd/${topics.filter('results')}`, topics.filter('status')], { qos: 1 });
    const rig1 = await connect(url, 'rig-1', rig1Password);
    // a forged result under another id is dropped by the broker; the instrument's own one arrives
    const received: string[] = [];
    svc.on('message', (topic, payload) => received.push(`${topic} ${payload.toString()}`));
    const own = nextMessage(svc, topics.results('rig-1'));
    await rig1.publishAsync(topics.results('rig-2'), 'forged', { qos: 1 });
    await rig1.publishAsync(topics.results('rig-1'), 'mine', { qos: 1 });
    expect(await own).toBe('mine');
    expect(received).toEqual([`${topics.results('rig-1')} mine`]);
    // it reads its own jobs only (Mosquitto 2.0 grants the subscription but delivers nothing the ACL does not allow)
    await rig1.subscribeAsync([topics.jobs('rig-1'), topics.jobs('rig-2'), topics.filter('results')], { qos: 1 });
    const delivered: string[] = [];
    rig1.on('message', (topic, payload) => delivered.push(`${topic} ${payload.toString()}`));
    const job = nextMessage(rig1, topics.jobs('rig-1'));
    await svc.publishAsync(topics.jobs('rig-2'), 'not yours', { qos: 1 });
    await svc.publishAsync(topics.results('rig-2'), 'not yours either', { qos: 1 });
    await svc.publishAsync(topics.jobs('rig-1'), 'job', { qos: 1 });
    expect(await job).toBe('job');
    expect(delivered).toEqual([`${topics.jobs('rig-1')} job`]);

    // credentials issued later work after Mosquitto reloads its files (SIGHUP)
    const rig2Password = (await api(t.baseUrl, 'POST', '/api/v1/instruments/rig-2/credentials')).body.password as string;
    expect(await refused(url, 'rig-2', rig2Password)).toMatch(/Not authorized|Bad username or password/i);
    broker!.kill('SIGHUP');
    let state = '';
    for (let i = 0; i < 30 && state !== 'accepted'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      state = await refused(url, 'rig-2', rig2Password);
    }
    expect(state).toBe('accepted');
  });
});
