import type { LoggerService } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/apps/app.js';
import { ApiKeysService } from '../../src/services/auth/api-keys.service.js';
import { generateApiKey, hashApiKey } from '../../src/common/secrets.js';
import { loadConfig } from '../../src/config/config.js';
import { startInfrastructure } from '../../src/apps/infrastructure.js';
import { startService } from '../support/processes.js';
import { api, createTestDatabase, MOSQUITTO_URL, startTestApp, TEST_ADMIN_API_KEY, uniqueName, zrCampaign, type TestApp } from '../support/services.js';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API keys: create, show once, list, revoke, expire', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('creates a key that works at once, is shown only in the creation answer, and is stored as a hash', async () => {
    const created = await api(t.baseUrl, 'POST', '/api/v1/api-keys', { name: 'jane.pi', role: 'pi' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'jane.pi', role: 'pi', state: 'active', campaignIds: null, source: 'api', createdBy: 'admin (ADMIN_API_KEY)' });
    const key: string = created.body.key;
    expect(key.startsWith(created.body.prefix)).toBe(true);

    const me = await api(t.baseUrl, 'GET', '/api/v1/me', undefined, bearer(key));
    expect(me.body).toMatchObject({ id: created.body.id, name: 'jane.pi', role: 'pi', campaignIds: null, campaigns: null });
    // X-API-Key works as well as Authorization: Bearer
    expect((await api(t.baseUrl, 'GET', '/api/v1/me', undefined, { 'x-api-key': key })).body.name).toBe('jane.pi');

    const list = await api(t.baseUrl, 'GET', '/api/v1/api-keys');
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(key.slice(18));
    expect(JSON.stringify(list.body)).not.toContain(hashApiKey(key));
    expect(list.body.items.find((k: { id: string }) => k.id === created.body.id)).toMatchObject({ name: 'jane.pi', lastUsedAt: expect.any(String) });
    const [row] = await t.infra.dataSource.query(`SELECT key_hash FROM api_key WHERE id = $1`, [created.body.id]);
    expect(row.key_hash).toBe(hashApiKey(key));
    const everything = JSON.stringify(await t.infra.dataSource.query(`SELECT * FROM api_key`));
    expect(everything).not.toContain(key);
    // the creation is in the audit trail, without the secret
    const [audit] = await t.infra.dataSource.query(`SELECT * FROM audit_event WHERE entity_type = 'api_key' AND entity_id = $1`, [created.body.id]);
    expect(audit).toMatchObject({ action: 'create', actor: 'admin (ADMIN_API_KEY)' });
    expect(JSON.stringify(audit)).not.toContain(key);
  });

  it('refuses bad keys with 401 and WWW-Authenticate, saying why', async () => {
    const cases: [Record<string, string>, string][] = [
      [{}, 'an API key is required'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'an API key is required'],
      [bearer('not-a-key'), 'not an API key'],
      [bearer(generateApiKey().token), 'unknown API key'],
      [bearer(TEST_ADMIN_API_KEY.slice(0, -2) + (TEST_ADMIN_API_KEY.endsWith('AA') ? 'BB' : 'AA')), 'unknown API key'],
    ];
    for (const [headers, message] of cases) {
      const res = await api(t.baseUrl, 'GET', '/api/v1/me', undefined, { authorization: '', ...headers });
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.message).toContain(message);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="aimatdesign"/);
    }
  });

  it('revokes (401 afterwards, still listed) and expires keys; the last admin key cannot be revoked', async () => {
    const created = await api(t.baseUrl, 'POST', '/api/v1/api-keys', { name: 'temp', role: 'viewer' });
    const key = created.body.key as string;
    expect((await api(t.baseUrl, 'GET', '/api/v1/campaigns', undefined, bearer(key))).status).toBe(200);
    // a viewer cannot manage keys: valid key, wrong role -> 403
    expect((await api(t.baseUrl, 'DELETE', `/api/v1/api-keys/${created.body.id}`, undefined, bearer(key))).status).toBe(403);
    const revoked = await api(t.baseUrl, 'DELETE', `/api/v1/api-keys/${created.body.id}`);
    expect(revoked.body).toMatchObject({ state: 'revoked', revokedBy: 'admin (ADMIN_API_KEY)' });
    const after = await api(t.baseUrl, 'GET', '/api/v1/campaigns', undefined, bearer(key));
    expect(after.status).toBe(401);
    expect(after.body.message).toBe('this API key has been revoked');
    expect((await api(t.baseUrl, 'DELETE', '/api/v1/api-keys/nosuchkey000')).status).toBe(404);

    const soon = await api(t.baseUrl, 'POST', '/api/v1/api-keys', { name: 'short-lived', role: 'viewer', expiresAt: new Date(Date.now() + 3600_000).toISOString() });
    expect(soon.body.expiresAt).not.toBeNull();
    expect((await api(t.baseUrl, 'GET', '/api/v1/me', undefined, bearer(soon.body.key))).status).toBe(200);
    // A key past its expiry is refused at once (its row is cached by then: the expiry is checked on every request).
    const shortly = new Date(Date.now() + 1500).toISOString();
    expect((await api(t.baseUrl, 'PATCH', `/api/v1/api-keys/${soon.body.id}`, { expiresAt: shortly })).status).toBe(200);
    expect((await api(t.baseUrl, 'GET', '/api/v1/me', undefined, bearer(soon.body.key))).status).toBe(200);
    await new Promise((r) => setTimeout(r, Date.parse(shortly) - Date.now() + 50));
    const expired = await api(t.baseUrl, 'GET', '/api/v1/me', undefined, bearer(soon.body.key));
    expect(expired.status).toBe(401);
    expect(expired.body.message).toBe('this API key has expired');
    expect((await api(t.baseUrl, 'POST', '/api/v1/api-keys', { name: 'x', role: 'viewer', expiresAt: '2020-01-01T00:00:00Z' })).status).toBe(400);

    const admins = (await api(t.baseUrl, 'GET', '/api/v1/api-keys')).body.items.filter((k: { role: string; state: string }) => k.role === 'admin' && k.state === 'active');
    expect(admins).toHaveLength(1);
    const last = await api(t.baseUrl, 'DELETE', `/api/v1/api-keys/${admins[0].id}`);
    expect(last.status).toBe(409);
    expect(last.body.message).toContain('last active admin key');
  });

  it('validates roles and campaign limits, and can change a key\'s campaigns', async () => {
    const c = (await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign())).body.id as string;
    const bad = [
      [{ name: 'x', role: 'superuser' }, 'role'],
      [{ name: 'tech', role: 'technician' }, 'must name the campaigns'],
      [{ name: 'a', role: 'admin', campaignIds: [c] }, 'cannot be limited'],
      [{ name: 'v', role: 'viewer', campaignIds: ['00000000-0000-4000-8000-000000000000'] }, 'unknown campaign'],
      [{ name: '', role: 'viewer' }, 'name'],
      [{ name: 'v', role: 'viewer', extra: 1 }, 'extra'],
    ] as const;
    for (const [body, message] of bad) {
      const res = await api(t.baseUrl, 'POST', '/api/v1/api-keys', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(message);
    }
    const tech = await api(t.baseUrl, 'POST', '/api/v1/api-keys', { name: 'tom.tech', role: 'technician', campaignIds: [c] });
    expect(tech.status).toBe(201);
    const other = (await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'other' }))).body.id as string;
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${other}`, undefined, bearer(tech.body.key))).status).toBe(403);
    const moved = await api(t.baseUrl, 'PATCH', `/api/v1/api-keys/${tech.body.id}`, { campaignIds: [c, other] });
    expect(moved.body.campaignIds).toEqual([c, other]);
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${other}`, undefined, bearer(tech.body.key))).status).toBe(200);
    expect((await api(t.baseUrl, 'PATCH', `/api/v1/api-keys/${tech.body.id}`, { campaignIds: null })).status).toBe(400);
  });
});

describe('bootstrap admin key', () => {
  it('is made and printed once on a first start without ADMIN_API_KEY; ADMIN_API_KEY replaces a configured one', async () => {
    const db = await createTestDatabase();
    const lines: string[] = [];
    const logger: LoggerService = { log: (m) => lines.push(String(m)), warn: (m) => lines.push(String(m)), error: (m) => lines.push(String(m)) };
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', DATABASE_URL: db.url, MQTT_URL: MOSQUITTO_URL, MQTT_TOPIC_PREFIX: `${uniqueName('aimdtest')}/v1` });
    const infra = await startInfrastructure(config);
    try {
      const app = await createApp(infra, logger);
      await app.init();
      const banner = lines.find((l) => l.includes('BOOTSTRAP ADMIN API KEY'));
      expect(banner).toBeDefined();
      const token = /(aimd_[a-z0-9]{12}_[A-Za-z0-9_-]+)/.exec(banner!)![1];
      const [row] = await infra.dataSource.query(`SELECT * FROM api_key`);
      expect(row).toMatchObject({ role: 'admin', source: 'bootstrap', key_hash: hashApiKey(token) });
      // a second start finds a key and prints nothing
      const service = app.get(ApiKeysService);
      expect(await service.bootstrap()).toEqual({ kind: 'none' });
      expect(await service.authenticate(token)).toMatchObject({ ok: true, principal: { role: 'admin', name: 'bootstrap-admin' } });

      // ADMIN_API_KEY: taken in (hashed) next to the bootstrap key; a new value retires the old one
      const first = generateApiKey().token;
      config.security.adminApiKey = first;
      expect(await service.bootstrap()).toMatchObject({ kind: 'config' });
      expect(await service.authenticate(first)).toMatchObject({ ok: true, principal: { role: 'admin' } });
      const second = generateApiKey().token;
      config.security.adminApiKey = second;
      await service.bootstrap();
      expect(await service.authenticate(second)).toMatchObject({ ok: true });
      expect(await service.authenticate(first)).toEqual({ ok: false, reason: 'revoked' });
      expect(JSON.stringify(await infra.dataSource.query(`SELECT * FROM api_key`))).not.toContain(second);
      await app.close();
    } finally {
      await infra.close();
      await db.drop();
    }
  });

  it('is printed even when LOG_LEVEL=error hides warnings (the service process itself, a fresh database)', async () => {
    const db = await createTestDatabase();
    const service = await startService({ DATABASE_URL: db.url, MQTT_URL: MOSQUITTO_URL, MQTT_TOPIC_PREFIX: `${uniqueName('aimdtest')}/v1`, LOG_LEVEL: 'error' });
    try {
      const banner = /BOOTSTRAP ADMIN API KEY[^\n]*\n\s*(aimd_[a-z0-9]{12}_[A-Za-z0-9_-]+)/.exec(service.output());
      expect(banner, service.output()).not.toBeNull();
      const me = await fetch(`${service.baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${banner![1]}` } });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ role: 'admin', name: 'bootstrap-admin' });
      expect(service.output()).not.toMatch(/listening on/); // LOG_LEVEL=error still hides the ordinary log lines
    } finally {
      await service.stop();
      await db.drop();
    }
  });

  it('ADMIN_API_KEY must be a well-formed key', () => {
    expect(() => loadConfig({ ADMIN_API_KEY: 'password123' })).toThrow(/ADMIN_API_KEY="password123": must look like aimd_/);
    expect(loadConfig({ ADMIN_API_KEY: TEST_ADMIN_API_KEY }).security.adminApiKey).toBe(TEST_ADMIN_API_KEY);
    expect(loadConfig({}).security).toMatchObject({ adminApiKey: undefined, rateLimitPerMinute: 600, mqttAuth: false });
    expect(() => loadConfig({ RATE_LIMIT_PER_MINUTE: '-1' })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    expect(() => loadConfig({ MQTT_AUTH: 'yes' })).toThrow(/MQTT_AUTH/);
  });
});

describe('limits: rate per key (429), body and upload size (413)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '6', MAX_BODY_BYTES: '2048', IMPORT_MAX_BODY_BYTES: '8192' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 with Retry-After once a key has used its requests, other keys unaffected', async () => {
    // the admin key makes one viewer key (1 request) and the viewer spends its six
    const viewer = (await api(t.baseUrl, 'POST', '/api/v1/api-keys', { name: 'busy', role: 'viewer' })).body.key as string;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await api(t.baseUrl, 'GET', '/api/v1/me', undefined, bearer(viewer))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    const limited = await api(t.baseUrl, 'GET', '/api/v1/me', undefined, bearer(viewer));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.body.message).toContain('rate limit of 6 requests per minute');
    expect((await api(t.baseUrl, 'GET', '/api/v1/me')).status).toBe(200); // the admin key has its own bucket
    expect((await api(t.baseUrl, 'GET', '/health', undefined, { authorization: '' })).status).toBe(200); // public routes are not counted
  });

  it('gives the campaign import its own body limit (IMPORT_MAX_BODY_BYTES): larger than MAX_BODY_BYTES, and a 413 naming it above that', async () => {
    const post = (bytes: number) =>
      fetch(`${t.baseUrl}/api/v1/campaigns/import`, {
        method: 'POST',
        headers: { ...bearer(TEST_ADMIN_API_KEY), 'content-type': 'application/json' },
        body: JSON.stringify({ format: 'aimatdesign-campaign', version: 1, padding: 'x'.repeat(bytes) }),
      });
    const within = await post(6000); // over MAX_BODY_BYTES (2048), within the import's 8192: read, then refused as a document
    expect(within.status).toBe(400);
    expect(JSON.stringify(await within.json())).not.toContain('larger than the limit');
    const over = await post(9000);
    expect(over.status).toBe(413);
    expect(await over.json()).toMatchObject({ statusCode: 413, message: 'the request body is larger than the limit of 8192 bytes (IMPORT_MAX_BODY_BYTES)', limitBytes: 8192 });
    // Every other route keeps MAX_BODY_BYTES.
    const other = await fetch(`${t.baseUrl}/api/v1/campaigns`, {
      method: 'POST',
      headers: { ...bearer(TEST_ADMIN_API_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x'.repeat(6000) }),
    });
    expect(other.status).toBe(413);
  });

  it('answers 413 in JSON for a body or an upload over MAX_BODY_BYTES, and 400 in JSON for broken JSON', async () => {
    const big = { name: 'x'.repeat(4000) };
    const res = await fetch(`${t.baseUrl}/api/v1/campaigns`, {
      method: 'POST',
      headers: { ...bearer(TEST_ADMIN_API_KEY), 'content-type': 'application/json' },
      body: JSON.stringify(big),
    });
    expect(res.status).toBe(413);
    expect((await res.json()) as unknown).toEqual({
      statusCode: 413, error: 'Payload Too Large', message: 'the request body is larger than the limit of 2048 bytes (MAX_BODY_BYTES)', limitBytes: 2048,
    });
    const broken = await api(t.baseUrl, 'POST', '/api/v1/campaigns', undefined, { ...bearer(TEST_ADMIN_API_KEY), 'content-type': 'application/json' });
    expect(broken.status).toBeGreaterThanOrEqual(400);
    const badJson = await fetch(`${t.baseUrl}/api/v1/campaigns`, { method: 'POST', headers: { ...bearer(TEST_ADMIN_API_KEY), 'content-type': 'application/json' }, body: '{"name": ' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { message: string }).message).toContain('not valid JSON');

    // (the admin key's own six: refused bodies never reach the guard, so they are not counted)
    const campaign = (await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign())).body.id as string;
    const form = new FormData();
    form.append('file', new Blob(['formula,cls_label\n' + 'Zr50Cu50,1\n'.repeat(400)], { type: 'text/csv' }), 'seed.csv');
    const upload = await fetch(`${t.baseUrl}/api/v1/campaigns/${campaign}/measurements/import`, { method: 'POST', body: form, headers: bearer(TEST_ADMIN_API_KEY) });
    expect(upload.status).toBe(413);
    expect(await upload.json()).toMatchObject({ statusCode: 413, message: 'the upload is larger than the limit of 2048 bytes (MAX_BODY_BYTES)' });
  });
});
