import { mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignEvents } from '../../src/services/campaigns/campaign-events.js';
import { authHeaders, seedKnownCampaign } from '../support/progress-fixture.js';
import { api, startTestApp, zrCampaign, type TestApp } from '../support/services.js';

/** Debian's chromium (.ci/run installs it), driven by playwright-core: no browser download. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** The README's screenshot is refreshed with UPDATE_DASHBOARD_SCREENSHOT=1; otherwise it goes to a temporary file. */
const SCREENSHOT = process.env.UPDATE_DASHBOARD_SCREENSHOT === '1'
  ? new URL('../../docs/dashboard.png', import.meta.url).pathname
  : join(tmpdir(), `aimd-dashboard-${process.pid}.png`);

describe('dashboard in headless Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let id: string;
  let ids: Record<number, string>;
  let draftId: string;
  beforeAll(async () => {
    t = await startTestApp();
    draftId = (await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'Next campaign (draft)' }))).body.id;
    const seeded = await seedKnownCampaign(t.baseUrl, t.infra.dataSource, t.config, { name: 'Ductile Zr-BMG, round 1', approvalRequired: true });
    id = seeded.campaign.id;
    ids = seeded.ids;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.setExtraHTTPHeaders(authHeaders());
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('loads a running campaign with its analytics, tables and charts', async () => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${t.baseUrl}/dashboard?campaign=${id}`);
    await expect.poll(() => page.locator('[data-testid=kpi-measured]').textContent()).toBe('7');
    expect(await page.locator('[data-testid=campaign-name]').textContent()).toBe('Ductile Zr-BMG, round 1');
    expect(await page.locator('[data-testid=campaign-list] a.active .name').textContent()).toBe('Ductile Zr-BMG, round 1');
    expect(await page.locator('[data-testid=kpi-success]').textContent()).toBe('42.9 %');
    expect(await page.locator('[data-testid=kpi-hypervolume]').textContent()).toBe('350');
    expect(await page.locator('[data-testid=experiments] tbody tr').count()).toBe(10);
    expect(await page.locator('[data-testid=experiment-9]').getAttribute('data-status')).toBe('running');
    expect(await page.locator('[data-testid=approvals] [data-testid=proposal-8]').count()).toBe(1);
    expect(await page.locator('[data-testid=instruments]').textContent()).toContain('xrd-1');
    expect(await page.locator('[data-testid=refinement] tbody tr').count()).toBe(1);
    // the agent's success rates of the fixture's real training run, one row per iteration
    expect(await page.locator('[data-testid=training] tbody tr').count()).toBe(1);
    const progress = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body;
    const srDone = `${(progress.training[0].rates.srDone * 100).toFixed(1)} %`;
    expect(await page.locator('[data-testid=training-1]').textContent()).toContain(srDone);
    expect(await page.locator('[data-testid=training] thead').textContent()).toContain('SR_80 σy');
    await expect.poll(() => page.locator('[data-testid=live-status]').textContent()).toBe('live');
    // the five server-rendered charts are loaded images
    await expect.poll(() => page.evaluate('Array.from(document.images).filter((i) => i.complete && i.naturalWidth > 300).length')).toBe(5);
    expect(errors).toEqual([]);
  });

  it('shows a new measurement without a reload', async () => {
    await page.evaluate('window.__notReloaded = true');
    const db = t.infra.dataSource;
    await db.query(`UPDATE experiment SET status = 'measured', updated_at = now() WHERE id = $1`, [ids[9]]);
    const [{ id: measurementId }] = await db.query(
      `INSERT INTO measurement (campaign_id, experiment_id, source, instrument_id, composition, formula, elements, phase, is_glass, yield_strength_mpa, elongation_pct)
       SELECT campaign_id, id, 'instrument', 'xrd-1', composition, formula, elements, 'amorphous', true, 1950, 14 FROM experiment WHERE id = $1 RETURNING id`,
      [ids[9]],
    );
    t.app.get(CampaignEvents).emit({
      type: 'measurements.added', campaignId: id, count: 1, source: 'instrument', experimentId: ids[9], measurementId, at: new Date().toISOString(),
    } as never);
    await expect.poll(() => page.locator('[data-testid=kpi-measured]').textContent()).toBe('8');
    expect(await page.locator('[data-testid=experiment-9]').getAttribute('data-status')).toBe('measured');
    expect(await page.locator('[data-testid=ys-9]').textContent()).toBe('1,950');
    expect(await page.locator('[data-testid=kpi-success]').textContent()).toBe('50.0 %'); // 4 of 8
    expect(await page.locator('[data-testid=activity]').textContent()).toContain('1 measurement added (instrument)');
    expect(await page.evaluate('window.__notReloaded')).toBe(true);
    await expect.poll(() => page.evaluate('Array.from(document.images).filter((i) => i.complete && i.naturalWidth > 300).length')).toBe(5);
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(50_000);
  });

  it('approves a proposal from the approvals table', async () => {
    const approve = page.locator(`button[data-act=approve][data-id="${ids[8]}"]`);
    const [request, response] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith(`/api/v1/experiments/${ids[8]}/approve`)),
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/experiments/${ids[8]}/approve`)),
      approve.click(),
    ]);
    expect(request.method()).toBe('POST');
    expect(request.headers()['x-actor']).toBe('pi');
    expect(response.status()).toBe(200);
    await expect.poll(() => page.locator('[data-testid=experiment-8]').getAttribute('data-status')).not.toBe('proposed');
    const [{ status }] = await t.infra.dataSource.query(`SELECT status FROM experiment WHERE id = $1`, [ids[8]]);
    expect(['approved', 'queued', 'dispatched']).toContain(status);
    expect(await page.locator('[data-testid=approvals] [data-testid=proposal-8]').count()).toBe(0);
  });

  it('edits and rejects a new proposal through the dialogs', async () => {
    const db = t.infra.dataSource;
    const [{ id: proposal }] = await db.query(
      `INSERT INTO experiment (campaign_id, sequence, batch_number, status, composition, formula, elements, prediction)
       VALUES ($1, 11, 4, 'proposed', '{"Zr": 62, "Cu": 28, "Al": 10}', 'Zr62Cu28Al10', '{Al,Cu,Zr}', '{"pGlass": 0.8, "yieldStrengthMPa": 1820, "elongationPct": 9}')
       RETURNING id`,
      [id],
    );
    t.app.get(CampaignEvents).emit({ type: 'proposals.created', campaignId: id, batchNumber: 4, count: 1, experimentIds: [proposal], at: new Date().toISOString() } as never);
    await expect.poll(() => page.locator('[data-testid=proposal-11]').count()).toBe(1);

    // edit: one number input per element, the sum shown; Save sends the composition
    await page.locator(`button[data-act=edit][data-id="${proposal}"]`).click();
    await page.locator('input[data-element=Zr]').fill('60');
    await page.locator('input[data-element=Cu]').fill('30');
    expect(await page.locator('#sum').textContent()).toBe('100.00 at.%');
    const [edit, edited] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith(`/api/v1/experiments/${proposal}`) && r.method() === 'PATCH'),
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/experiments/${proposal}`) && r.request().method() === 'PATCH'),
      page.locator('[data-testid=confirm-edit]').click(),
    ]);
    expect(edit.postDataJSON()).toEqual({ composition: { Zr: 60, Cu: 30, Al: 10 } });
    expect(edited.status()).toBe(200);
    await expect.poll(async () => (await db.query(`SELECT composition FROM experiment WHERE id = $1`, [proposal]))[0].composition).toEqual({ Zr: 60, Cu: 30, Al: 10 });

    // reject: a reason is required; Reject sends it
    await page.locator(`button[data-act=reject][data-id="${proposal}"]`).click();
    await page.locator('#reason').fill('too close to experiment 2');
    const [reject, rejected] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith(`/api/v1/experiments/${proposal}/reject`)),
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/experiments/${proposal}/reject`)),
      page.locator('[data-testid=confirm-reject]').click(),
    ]);
    expect(reject.method()).toBe('POST');
    expect(reject.postDataJSON()).toEqual({ reason: 'too close to experiment 2' });
    expect(rejected.status()).toBe(200);
    await expect.poll(() => page.locator('[data-testid=experiment-11]').getAttribute('data-status')).toBe('rejected');
  });

  it('switches campaigns from the list; an empty campaign shows empty states and charts', async () => {
    expect(await page.locator('[data-testid=campaign-list] a').count()).toBe(2);
    await page.locator(`[data-testid=campaign-list] a[data-id="${draftId}"]`).click();
    await expect.poll(() => page.locator('[data-testid=campaign-name]').textContent()).toBe('Next campaign (draft)');
    expect(new URL(page.url()).searchParams.get('campaign')).toBe(draftId);
    expect(await page.locator('[data-testid=kpi-measured]').textContent()).toBe('0');
    expect(await page.locator('main').textContent()).toContain('No experiments proposed yet.');
    await expect.poll(() => page.evaluate('Array.from(document.images).filter((i) => i.complete && i.naturalWidth > 300).length')).toBe(5);
    await page.goBack();
    await expect.poll(() => page.locator('[data-testid=campaign-name]').textContent()).toBe('Ductile Zr-BMG, round 1');
  });

  it('works with an API key entered in the page (query token for the feed and the charts)', async () => {
    const headers = authHeaders();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const fresh = await context.newPage();
    await fresh.goto(`${t.baseUrl}/dashboard?campaign=${id}`);
    if (headers.authorization) {
      // keys are on: without one the page says so; with one everything loads, the feed included
      await expect.poll(() => fresh.locator('main').textContent()).toContain('needs an API key');
      await fresh.locator('[data-testid=api-key]').fill(headers.authorization.replace(/^Bearer /, ''));
      await fresh.locator('[data-testid=api-key]').dispatchEvent('change');
    }
    await expect.poll(() => fresh.locator('[data-testid=kpi-measured]').textContent()).toBe('8');
    await expect.poll(() => fresh.locator('[data-testid=live-status]').textContent()).toBe('live');
    await expect.poll(() => fresh.evaluate('Array.from(document.images).filter((i) => i.complete && i.naturalWidth > 300).length')).toBe(5);
    await context.close();
  });
});
