import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, seedKnownCampaign } from '../support/progress-fixture.js';
import { api, startTestApp, zrCampaign, type TestApp } from '../support/services.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HOSTILE_KEY = 'Zr"><img src=x onerror="window.__xss=(window.__xss||0)+1">';

/**
 * Issue 17, high: `POST /campaigns/import` stored compositions unchecked, and the dashboard's Edit
 * dialog built HTML from their keys and values unescaped: in Chromium the injected handler ran
 * (and the page keeps the API key in localStorage). Also: an import created open instrument jobs.
 */
describe('stored script in the dashboard', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let doc: Record<string, any>;
  let sourceId: string;

  beforeAll(async () => {
    // a real agent checkpoint makes an export with artifacts about 30 MB
    t = await startTestApp({ env: { MAX_BODY_BYTES: String(64 * 1024 * 1024) } });
    const seeded = await seedKnownCampaign(t.baseUrl, t.infra.dataSource, t.config, { name: 'source campaign' });
    sourceId = seeded.campaign.id;
    // the real export writer makes the document the attacks start from
    const exported = await api(t.baseUrl, 'GET', `/api/v1/campaigns/${sourceId}/export/campaign.json?artifacts=true`);
    expect(exported.status).toBe(200);
    doc = exported.body;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    page = await browser.newPage();
    await page.setExtraHTTPHeaders(authHeaders());
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const clone = () => JSON.parse(JSON.stringify(doc)) as Record<string, any>;

  it('refuses an imported document whose compositions carry HTML, with the place and the reason (400, nothing stored)', async () => {
    const campaignsBefore = (await t.infra.dataSource.query(`SELECT count(*) AS n FROM campaign`))[0].n;
    const bad = clone();
    bad.experiments[0].composition = { [HOSTILE_KEY]: 60, Cu: 30, Al: 10 };
    const keyAttack = await api(t.baseUrl, 'POST', '/api/v1/campaigns/import', bad);
    expect(keyAttack.status).toBe(400);
    expect(keyAttack.body.problems.join('\n')).toContain('experiments[0].composition: unknown element');
    const badValue = clone();
    badValue.measurements[0].composition = { Zr: '60"><svg onload=alert(1)>', Cu: 40 };
    expect((await api(t.baseUrl, 'POST', '/api/v1/campaigns/import', badValue)).status).toBe(400);
    const badText = clone();
    badText.instrumentJobs[0].instrumentId = '<img src=x onerror=alert(1)>';
    badText.experiments[1].sequence = '<b>1</b>';
    const texts = await api(t.baseUrl, 'POST', '/api/v1/campaigns/import', badText);
    expect(texts.status).toBe(400);
    expect(texts.body.problems.join('\n')).toMatch(/instrumentJobs\[0\]\.instrumentId.*\n?.*|experiments\[1\]\.sequence/);
    expect((await t.infra.dataSource.query(`SELECT count(*) AS n FROM campaign`))[0].n).toBe(campaignsBefore);
  });

  it('imports a clean document without open instrument jobs: in-flight experiments are queued again, their jobs closed', async () => {
    const [{ n: openInSource }] = await t.infra.dataSource.query(`SELECT count(*)::int AS n FROM instrument_job WHERE campaign_id = $1 AND finished_at IS NULL`, [sourceId]);
    expect(openInSource).toBeGreaterThan(0); // the attack needs one: the seeded campaign has a running job on xrd-1
    const imported = await api(t.baseUrl, 'POST', '/api/v1/campaigns/import', clone());
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    const id = imported.body.campaignId;
    const jobs = await t.infra.dataSource.query(`SELECT status, finished_at FROM instrument_job WHERE campaign_id = $1`, [id]);
    expect(jobs.length).toBe(doc.instrumentJobs.length);
    expect(jobs.filter((j: { finished_at: Date | null }) => j.finished_at === null)).toEqual([]);
    const inFlight = await t.infra.dataSource.query(
      `SELECT status, current_job_id FROM experiment WHERE campaign_id = $1 AND status IN ('dispatched','accepted','running')`, [id],
    );
    expect(inFlight).toEqual([]);
    const [running] = await t.infra.dataSource.query(`SELECT status, current_job_id FROM experiment WHERE campaign_id = $1 AND sequence = 9`, [id]);
    expect(running).toEqual({ status: 'queued', current_job_id: null });
  });

  it('runs no script from stored data in the Edit dialog (escaped in one place, CSP on the page)', async () => {
    // a row written before the import was checked (or by any other path): the page must still be safe
    const { body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'xss campaign', approvalRequired: true }));
    const [{ id: proposal }] = await t.infra.dataSource.query(
      `INSERT INTO experiment (campaign_id, sequence, batch_number, status, composition, formula, elements)
       VALUES ($1, 1, 1, 'proposed', $2, 'Zr60Cu30Al10', '{Al,Cu,Zr}') RETURNING id`,
      [c.id, JSON.stringify({ [HOSTILE_KEY]: 60, Cu: '30"><img src=x onerror="window.__xss=(window.__xss||0)+1">', Al: 10 })],
    );
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const response = await page.goto(`${t.baseUrl}/dashboard?campaign=${c.id}`);
    const csp = response!.headers()['content-security-policy'];
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    await expect.poll(() => page.locator('[data-testid=campaign-name]').textContent()).toBe('xss campaign');
    await page.locator(`button[data-act=edit][data-id="${proposal}"]`).click();
    await expect.poll(() => page.locator('#dialog-form label', { hasText: 'onerror' }).textContent()).toBe(HOSTILE_KEY);
    await page.waitForTimeout(300);
    expect(await page.evaluate('window.__xss')).toBeUndefined();
    expect(await page.locator('#dialog-form img').count()).toBe(0);
    expect(errors).toEqual([]);
  });

  it('blocks an inline handler that reaches the page anyway (CSP without unsafe-inline)', async () => {
    await page.goto(`${t.baseUrl}/dashboard`);
    await page.evaluate(`document.body.insertAdjacentHTML('beforeend', '<img id="probe" src="data:," onerror="window.__csp=1" onload="window.__csp=1">')`);
    await page.waitForTimeout(300);
    expect(await page.evaluate('window.__csp')).toBeUndefined();
  });

  it('keeps the API key entered in the page for this tab only (sessionStorage), never in localStorage', async () => {
    const context = await browser.newContext();
    const fresh = await context.newPage();
    await fresh.goto(`${t.baseUrl}/dashboard`);
    const key = authHeaders().authorization.replace(/^Bearer /, '');
    await fresh.locator('[data-testid=api-key]').fill(key);
    await fresh.locator('[data-testid=api-key]').dispatchEvent('change');
    await expect.poll(() => fresh.locator('[data-testid=campaign-list] a').count()).toBeGreaterThan(0);
    expect(await fresh.evaluate('localStorage.length')).toBe(0);
    expect(await fresh.evaluate(`sessionStorage.getItem('aimd.apiKey')`)).toBe(key);
    await context.close();
  });
});
