import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import { api, startTestApp, zrCampaign, type TestApp } from '../support/services.js';

/** No DATABASE_URL, MQTT_URL or REDIS_URL: embedded PostgreSQL, embedded broker, in-process jobs. */
describe('embedded defaults', () => {
  let t: TestApp;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'aimd-embedded-'));
    t = await startTestApp({ env: { MQTT_URL: '', DATA_DIR: dataDir, EMBEDDED_PG_PORT: '54391', MQTT_PORT: '0' } });
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    rmSync(dataDir, { recursive: true, force: true });
    // as root the 0700 temp folder is closed to the postgres user: the cluster went to the /var/tmp fallback
    rmSync(`/var/tmp/aimatdesign-${createHash('sha1').update(path.join(dataDir, 'postgres')).digest('hex').slice(0, 12)}`, { recursive: true, force: true });
  });

  it('runs on embedded PostgreSQL and the embedded broker, with in-process jobs', async () => {
    const health = await api(t.baseUrl, 'GET', '/health');
    expect(health.body).toMatchObject({
      status: 'ok',
      database: { ok: true, mode: 'embedded' },
      broker: { ok: true, mode: 'embedded' },
      queue: { ok: true, mode: 'in-process' },
    });
    expect(t.infra.describe().join('\n')).toMatch(/embedded PostgreSQL[\s\S]*embedded aedes broker[\s\S]*in-process/);
    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign());
    expect(created.status).toBe(201);
  });

  it('accepts instrument connections on its broker', async () => {
    const url = t.infra.broker.url.replace('0.0.0.0', '127.0.0.1').replace('mqtt://:', 'mqtt://127.0.0.1:');
    const instrument = await MqttConnection.connect({ url, clientId: 'rig-embedded-test', clean: true });
    const got = new Promise<string>((resolve) => instrument.onMessage((_t, p) => resolve(p.toString())));
    await instrument.subscribe('probe/#');
    await instrument.publish('probe/x', 'hello');
    expect(await got).toBe('hello');
    await instrument.close();
  });
});
