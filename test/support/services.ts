import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { startInfrastructure } from '../../src/apps/infrastructure.js';
import type { Infrastructure } from '../../src/services/tokens.js';
import { createApp } from '../../src/apps/app.js';
import { startLab } from '../../src/apps/lab-startup.js';
import type { INestApplication } from '@nestjs/common';
import { generateApiKey } from '../../src/common/secrets.js';

/**
 * The machine's real services (CI starts them; a test fails, never skips, when one is down).
 * Each test file gets its own fresh database so files never see each other's rows.
 */
export const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const MOSQUITTO_URL = process.env.TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';
export const SHARED_DATA = new URL('../../../shared/data/aimatdesign/', import.meta.url).pathname;

/**
 * Every test app starts with this admin key (ADMIN_API_KEY) and `api()` sends it unless the call
 * passes its own `authorization` or `x-api-key` header (an empty `authorization: ''` sends none).
 */
export const TEST_ADMIN_API_KEY = generateApiKey().token;

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

export async function createTestDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = uniqueName('aimd_test');
  const admin = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: POSTGRES_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestApp {
  app: INestApplication;
  infra: Infrastructure;
  config: AppConfig;
  baseUrl: string;
  close(): Promise<void>;
}

/** The whole service on the real servers (default) or on its embedded defaults. */
export async function startTestApp(options: { env?: Record<string, string>; queue?: 'redis' | 'in-process' } = {}): Promise<TestApp> {
  const db = options.env?.DATABASE_URL === undefined && !('DATA_DIR' in (options.env ?? {})) ? await createTestDatabase() : null;
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    MQTT_URL: MOSQUITTO_URL,
    MQTT_TOPIC_PREFIX: `${uniqueName('aimdtest')}/v1`,
    MQTT_CLIENT_ID: uniqueName('svc'),
    QUEUE_PREFIX: uniqueName('aimdq'),
    ADMIN_API_KEY: TEST_ADMIN_API_KEY,
    // Tests fire requests faster than people do; auth tests that check the limit set their own.
    RATE_LIMIT_PER_MINUTE: '0',
    ...(db ? { DATABASE_URL: db.url } : {}),
    ...(options.queue === 'redis' ? { REDIS_URL: REDIS_URL } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const infra = await startInfrastructure(config);
  const app = await createApp(infra, false);
  await startLab(app, infra);
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    infra,
    config,
    baseUrl: `http://127.0.0.1:${address.port}`,
    close: async () => {
      await app.close();
      await infra.close();
      await db?.drop();
    },
  };
}

/** fetch + JSON with the status, for API assertions. */
export async function api(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const isText = typeof body === 'string';
  const ownKey = Object.keys(headers).some((h) => ['authorization', 'x-api-key'].includes(h.toLowerCase()));
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(ownKey ? {} : { authorization: `Bearer ${TEST_ADMIN_API_KEY}` }),
      ...(body === undefined ? {} : { 'content-type': isText ? 'text/csv' : 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : isText ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** A new API key (created with the test admin key) as request headers for `api()`. */
export async function keyHeaders(
  baseUrl: string,
  name: string,
  role: 'admin' | 'pi' | 'technician' | 'instrument' | 'viewer',
  campaignIds?: string[],
): Promise<{ authorization: string }> {
  const created = await api(baseUrl, 'POST', '/api/v1/api-keys', { name, role, ...(campaignIds ? { campaignIds } : {}) });
  if (created.status !== 201) throw new Error(`creating key ${name}: ${created.status} ${JSON.stringify(created.body)}`);
  return { authorization: `Bearer ${created.body.key}` };
}

/** A Zr-based design space and objectives like the paper's targets. */
export function zrCampaign(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Zr-BMG test campaign',
    description: 'ductile Zr-based BMG',
    designSpace: {
      elements: [
        { symbol: 'Zr', min: 40, max: 70 },
        { symbol: 'Cu', min: 0, max: 40 },
        { symbol: 'Ni', min: 0, max: 20 },
        { symbol: 'Al', min: 0, max: 15 },
        { symbol: 'Ti', min: 0, max: 15 },
      ],
      step: 0.5,
      minElements: 3,
      maxElements: 5,
      baseElement: 'Zr',
    },
    objectives: {
      requireGlass: true,
      targets: [
        { property: 'yieldStrengthMPa', threshold: 1800, weight: 1 },
        { property: 'elongationPct', threshold: 10, weight: 1 },
      ],
    },
    budget: 48,
    batchSize: 8,
    seed: 7,
    ...overrides,
  };
}
