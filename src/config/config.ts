import { z } from 'zod';
import { API_KEY_PATTERN } from '../common/secrets.js';

/**
 * Typed service configuration, read once from the environment and validated at start-up.
 * A wrong value stops the service with a message naming the variable; unset optional servers
 * (DATABASE_URL, MQTT_URL, REDIS_URL, OPENAI_BASE_URL) switch on the embedded defaults.
 */
/** LOG_LEVEL values, least to most verbose: each level includes the ones before it. */
export const LOG_LEVELS = ['error', 'warn', 'log', 'debug', 'verbose'] as const;
const port = z.coerce.number().int().min(0).max(65535);
const optionalUrl = (protocols: string[]) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || protocols.some((p) => v.startsWith(`${p}://`)), {
      message: `must be a URL starting with ${protocols.map((p) => `${p}://`).join(' or ')}`,
    });
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: port.default(3000),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('log'),
  /** text: Nest's lines (coloured only on a terminal); json: one JSON object per line. */
  LOG_FORMAT: z.enum(['text', 'json']).default('text'),
  /** api: HTTP + MQTT ingestion; worker: background jobs only; all: both (default, one process). */
  SERVICE_ROLE: z.enum(['all', 'api', 'worker']).default('all'),
  /** A worker opens no HTTP port unless this is set (then it serves /health there). */
  WORKER_PORT: port.optional(),

  DATABASE_URL: optionalUrl(['postgres', 'postgresql']),
  DATA_DIR: z.string().default('.data'),
  EMBEDDED_PG_PORT: port.default(54329),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),

  MQTT_URL: optionalUrl(['mqtt', 'mqtts', 'ws', 'wss', 'tcp']),
  MQTT_PORT: port.default(1883),
  /** Embedded broker bind address; unset: 127.0.0.1, or 0.0.0.0 with MQTT_AUTH=on (see embeddedBrokerHost). */
  MQTT_HOST: z.string().trim().optional().transform((v) => (v === '' ? undefined : v)),
  MQTT_TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_\-/]+$/, 'letters, digits, _, - and / only')
    .refine((v) => !v.startsWith('/') && !v.endsWith('/'), 'no leading or trailing /')
    .default('aimd/v1'),
  /** Stable across restarts so the broker keeps this service's session (QoS 1 messages queued while down). */
  MQTT_CLIENT_ID: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 of letters, digits, _ and -').optional(),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),

  REDIS_URL: optionalUrl(['redis', 'rediss']),
  QUEUE_PREFIX: z.string().default('aimd'),

  OPENAI_BASE_URL: optionalUrl(['http', 'https']),
  OPENAI_API_KEY: z.string().optional(),
  OPENAI_MODEL: z.string().default('gpt-4o-mini'),
  OPENAI_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),

  /** An instrument job not finished by then is timed out and re-dispatched (protocol deadline). */
  JOB_TIMEOUT_MS: z.coerce.number().int().min(100).default(24 * 3600 * 1000),
  /** Jobs of an instrument that went offline time out this long after it left. */
  OFFLINE_GRACE_MS: z.coerce.number().int().min(0).default(10 * 60 * 1000),
  DISPATCH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(3),
  /** How often deadlines are checked. */
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(10).default(5000),
  /** Largest |as made - dispatched| in at.% per element before a result is flagged. */
  COMPOSITION_TOLERANCE_PCT: z.coerce.number().min(0).max(100).default(1.0),
  /** MQTT 5 shared-subscription group so API replicas split instrument messages (external broker only). */
  MQTT_SHARE_GROUP: z.string().regex(/^[A-Za-z0-9_-]*$/).default('aimd-service'),
  /** Run the agent's training in a worker thread so HTTP and MQTT stay responsive meanwhile. */
  DESIGN_THREAD: bool.default(true),
  /** Largest accepted JSON/CSV request body. */
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(10 * 1024 * 1024),
  /** POST /api/v1/campaigns/import only: a campaign document with its models and agent weights is tens of MB. */
  IMPORT_MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024 * 1024),
  IMPORT_MAX_ROWS: z.coerce.number().int().min(1).default(100_000),
  /** A request whose body has not fully arrived this long after its headers is cut off (408). */
  HTTP_BODY_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
  /** Open HTTP connections at most (more are refused by the socket server). */
  HTTP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1024),
  SWAGGER: bool.default(true),

  // Security (src/auth): API keys, rate limits, instrument credentials on MQTT.
  /** An admin key taken from configuration (`aimd_<12 a-z0-9>_<secret>`); hashed on start, never stored in clear. */
  ADMIN_API_KEY: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine((v) => v === undefined || API_KEY_PATTERN.test(v), {
      message:
        'must look like aimd_<12 lowercase letters or digits>_<32+ characters of A-Z a-z 0-9 _ -> ' +
        `(make one with: node -e "console.log('aimd_'+require('crypto').randomBytes(6).toString('hex')+'_'+require('crypto').randomBytes(32).toString('base64url'))")`,
    }),
  /** Requests per minute per API key (token bucket, burst = the same number); 0 switches the limit off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).default(600),
  /** Enforce instrument credentials and topic rights on the embedded broker. */
  MQTT_AUTH: z.enum(['on', 'off']).default('off'),
  /** Where the service writes Mosquitto's password and ACL files for the issued instrument credentials. */
  MOSQUITTO_PASSWORD_FILE: z.string().trim().min(1).optional(),
  MOSQUITTO_ACL_FILE: z.string().trim().min(1).optional(),
});

export type Env = z.infer<typeof schema>;

/** Every environment variable the service reads (the README's configuration table names each one). */
export const ENV_VARIABLES = Object.keys(schema.shape) as (keyof Env)[];

export interface AppConfig {
  env: Env['NODE_ENV'];
  http: { host: string; port: number; maxBodyBytes: number; importMaxBodyBytes: number; workerPort?: number; bodyTimeoutMs: number; maxConnections: number };
  log: { level: Env['LOG_LEVEL']; format: Env['LOG_FORMAT'] };
  role: Env['SERVICE_ROLE'];
  database: { mode: 'server'; url: string; poolSize: number } | { mode: 'embedded'; dataDir: string; port: number; poolSize: number };
  mqttClientId?: string;
  mqtt:
    | { mode: 'server'; url: string; username?: string; password?: string; topicPrefix: string; shareGroup: string }
    | { mode: 'embedded'; host: string; hostExplicit: boolean; port: number; portExplicit: boolean; topicPrefix: string };
  queue: { mode: 'redis'; url: string; prefix: string } | { mode: 'in-process'; prefix: string };
  knowledge: { mode: 'llm'; baseUrl: string; apiKey?: string; model: string; timeoutMs: number } | { mode: 'offline' };
  imports: { maxRows: number };
  lab: {
    jobTimeoutMs: number;
    offlineGraceMs: number;
    maxDispatchAttempts: number;
    sweepIntervalMs: number;
    compositionTolerancePct: number;
    designThread: boolean;
  };
  swagger: boolean;
  security: {
    adminApiKey: string | undefined;
    rateLimitPerMinute: number;
    /** Embedded broker: enforce instrument credentials and topic ACLs. */
    mqttAuth: boolean;
    mosquittoPasswordFile: string | undefined;
    mosquittoAclFile: string | undefined;
  };
}

export class ConfigError extends Error {}

/**
 * Where the embedded broker listens: MQTT_HOST when set; otherwise only this machine (127.0.0.1),
 * unless MQTT_AUTH=on makes it safe to open to the network (0.0.0.0). An open broker without
 * credentials lets anyone who reaches the port read every dispatch and publish as any instrument.
 */
export function embeddedBrokerHost(mqttHost: string | undefined, mqttAuth: boolean): string {
  return mqttHost ?? (mqttAuth ? '0.0.0.0' : '127.0.0.1');
}

export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.') || '(environment)';
      const value = source[name];
      return `  ${name}${value !== undefined ? `=${JSON.stringify(value)}` : ''}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  if (e.SERVICE_ROLE !== 'all' && !e.REDIS_URL) {
    // In-process jobs never leave their process: an API-only process would queue jobs nobody runs,
    // a worker would wait for jobs that never reach it.
    throw new ConfigError(
      `Invalid configuration:\n  SERVICE_ROLE=${JSON.stringify(e.SERVICE_ROLE)}: needs REDIS_URL (jobs go from API processes to workers through Redis)`,
    );
  }
  return {
    env: e.NODE_ENV,
    http: { host: e.HOST, port: e.PORT, maxBodyBytes: e.MAX_BODY_BYTES, importMaxBodyBytes: e.IMPORT_MAX_BODY_BYTES, workerPort: e.WORKER_PORT, bodyTimeoutMs: e.HTTP_BODY_TIMEOUT_MS, maxConnections: e.HTTP_MAX_CONNECTIONS },
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    role: e.SERVICE_ROLE,
    database: e.DATABASE_URL
      ? { mode: 'server', url: e.DATABASE_URL, poolSize: e.DB_POOL_SIZE }
      : { mode: 'embedded', dataDir: e.DATA_DIR, port: e.EMBEDDED_PG_PORT, poolSize: e.DB_POOL_SIZE },
    mqttClientId: e.MQTT_CLIENT_ID,
    mqtt: e.MQTT_URL
      ? { mode: 'server', url: e.MQTT_URL, username: e.MQTT_USERNAME, password: e.MQTT_PASSWORD, topicPrefix: e.MQTT_TOPIC_PREFIX, shareGroup: e.MQTT_SHARE_GROUP }
      : { mode: 'embedded', host: embeddedBrokerHost(e.MQTT_HOST, e.MQTT_AUTH === 'on'), hostExplicit: e.MQTT_HOST !== undefined, port: e.MQTT_PORT, portExplicit: source.MQTT_PORT !== undefined && source.MQTT_PORT !== '', topicPrefix: e.MQTT_TOPIC_PREFIX },
    queue: e.REDIS_URL ? { mode: 'redis', url: e.REDIS_URL, prefix: e.QUEUE_PREFIX } : { mode: 'in-process', prefix: e.QUEUE_PREFIX },
    knowledge: e.OPENAI_BASE_URL
      ? { mode: 'llm', baseUrl: e.OPENAI_BASE_URL, apiKey: e.OPENAI_API_KEY, model: e.OPENAI_MODEL, timeoutMs: e.OPENAI_TIMEOUT_MS }
      : { mode: 'offline' },
    imports: { maxRows: e.IMPORT_MAX_ROWS },
    lab: {
      jobTimeoutMs: e.JOB_TIMEOUT_MS,
      offlineGraceMs: e.OFFLINE_GRACE_MS,
      maxDispatchAttempts: e.DISPATCH_MAX_ATTEMPTS,
      sweepIntervalMs: e.SWEEP_INTERVAL_MS,
      compositionTolerancePct: e.COMPOSITION_TOLERANCE_PCT,
      designThread: e.DESIGN_THREAD,
    },
    swagger: e.SWAGGER,
    security: {
      adminApiKey: e.ADMIN_API_KEY,
      rateLimitPerMinute: e.RATE_LIMIT_PER_MINUTE,
      mqttAuth: e.MQTT_AUTH === 'on',
      mosquittoPasswordFile: e.MOSQUITTO_PASSWORD_FILE,
      mosquittoAclFile: e.MOSQUITTO_ACL_FILE,
    },
  };
}
