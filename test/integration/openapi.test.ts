import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../support/processes.js';
import { api, startTestApp, zrCampaign, type TestApp } from '../support/services.js';

type Operation = { security?: unknown[]; responses: Record<string, { content?: Record<string, { schema?: unknown }> }> };

/**
 * The OpenAPI document the service serves at /docs-json: a third-party linter (Redocly CLI, its
 * recommended rules) finds no error; every operation has its success response with a schema;
 * every keyed operation declares 401/403/429; nullable numbers are numbers; each strategy setting
 * documents the default a campaign created without it gets.
 */
describe('OpenAPI document', () => {
  let t: TestApp;
  let doc: { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, { properties: Record<string, unknown> }> } };
  const tmp = tempDir('aimd-openapi');
  beforeAll(async () => {
    t = await startTestApp();
    const r = await fetch(`${t.baseUrl}/docs-json`);
    expect(r.status).toBe(200);
    doc = (await r.json()) as typeof doc;
  });
  afterAll(async () => {
    await t?.close();
    tmp.remove();
  });

  it('passes Redocly lint with zero errors', () => {
    const file = path.join(tmp.dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const run = spawnSync(path.join(ROOT, 'node_modules/.bin/redocly'), ['lint', file, '--format=json'], {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      timeout: 60_000,
    });
    const report = JSON.parse(run.stdout) as { totals: { errors: number; warnings: number }; problems: { severity: string; ruleId: string; message: string; location: { pointer: string }[] }[] };
    const errors = report.problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId} ${p.location[0]?.pointer}: ${p.message}`);
    expect(errors).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(run.status).toBe(0);
  });

  it('gives every operation a success response with a schema, and 401/403/429 where a key is needed', () => {
    const problems: string[] = [];
    let operations = 0;
    for (const [route, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operations++;
        const name = `${method.toUpperCase()} ${route}`;
        const success = Object.entries(op.responses).filter(([code]) => code.startsWith('2'));
        if (success.length === 0) problems.push(`${name}: no success response`);
        for (const [code, response] of success) {
          if (code === '204') continue;
          const content = Object.entries(response.content ?? {});
          if (content.length === 0 || content.some(([, c]) => c.schema === undefined)) problems.push(`${name} ${code}: no schema`);
        }
        const isPublic = Array.isArray(op.security) && op.security.length === 0;
        if (!isPublic) for (const code of ['401', '403', '429']) if (!op.responses[code]) problems.push(`${name}: no ${code}`);
      }
    }
    expect(operations).toBeGreaterThan(30);
    expect(problems).toEqual([]);
  });

  it('types the measured values of results and corrections as nullable numbers', () => {
    for (const dto of ['ResultEntryDto', 'CorrectionDto']) {
      for (const field of ['yieldStrengthMPa', 'elongationPct']) {
        expect(doc.components.schemas[dto].properties[field], `${dto}.${field}`).toMatchObject({ type: 'number', nullable: true });
      }
    }
  });

  it('documents each strategy setting with the default a campaign created without settings gets', async () => {
    const created = await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign());
    expect(created.status).toBe(201);
    const filled = created.body.strategy as Record<string, unknown>;
    const documented = doc.components.schemas.StrategyDto.properties as Record<string, { default?: unknown; description?: string }>;
    expect(Object.keys(documented).sort()).toEqual(Object.keys(filled).sort());
    for (const [key, value] of Object.entries(filled)) {
      expect(documented[key].default, key).toEqual(value);
      expect(documented[key].description, key).toBeTruthy();
    }
  });
});
