import { hostname } from 'node:os';
import { BrokerPortInUseError, startEmbeddedBroker, type EmbeddedBroker } from '../../adapters/mqtt/embedded-broker.js';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../../adapters/storage/embedded-postgres.js';
import type { AppConfig } from '../config/config.js';
import { openDatabase } from '../repositories/data-source.js';
import { embeddedBrokerAuth, registerServiceLogin, type ServiceCredential } from '../services/auth/broker-security.js';
import { BrokerServiceLoginRepository } from '../repositories/broker-login.repository.js';
import { InstrumentCredentialRepository } from '../repositories/api-key.repository.js';
import { RejectedMessageRepository } from '../repositories/rejected-message.repository.js';
import { BullMqJobQueue, InProcessJobQueue, type JobQueue } from '../../adapters/queue/job-queue.js';
import { JobRepository } from '../repositories/job.repository.js';
import type { Infrastructure } from '../services/tokens.js';

/** A start-up failure with a known cause and remedy: main prints its one line, no stack. */
export class StartupError extends Error {
  override name = 'StartupError';
}

export async function startInfrastructure(config: AppConfig, log: (m: string) => void = () => undefined): Promise<Infrastructure> {
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    // Database
    let url: string;
    let embeddedPg: EmbeddedPostgresHandle | null = null;
    if (config.database.mode === 'embedded') {
      embeddedPg = await startEmbeddedPostgres({ dataDir: config.database.dataDir, port: config.database.port, log });
      closers.push(() => embeddedPg!.stop());
      url = embeddedPg.url;
    } else {
      url = config.database.url;
    }
    const { dataSource, applied } = await openDatabase(url, config.database.poolSize);
    closers.push(() => dataSource.destroy());

    // MQTT
    let brokerUrl: string;
    let embeddedBroker: EmbeddedBroker | null = null;
    // auth: instrument credentials and topic rights (MQTT_AUTH=on) and the payload size limit on the embedded broker
    const workerOnEmbedded = config.mqtt.mode === 'embedded' && config.role === 'worker';
    // A worker only publishes (no session to keep): one id per process, so two workers on one host never evict each other.
    const clientId =
      config.mqttClientId ??
      `aimd-service-${config.role}-${hostname()}-${config.role === 'worker' ? process.pid : config.http.port}`.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
    const serviceLogins = new BrokerServiceLoginRepository(dataSource);
    const brokerAuth =
      config.mqtt.mode === 'embedded' && !workerOnEmbedded
        ? embeddedBrokerAuth(config, { credentials: new InstrumentCredentialRepository(dataSource), rejected: new RejectedMessageRepository(dataSource), serviceLogins }, log, clientId)
        : null;
    let workerLogin: ServiceCredential | null = null;
    if (workerOnEmbedded && config.mqtt.mode === 'embedded') {
      // A worker beside `npm start` uses that process's embedded broker (it publishes dispatches
      // after an iteration); it never starts a broker of its own, which no instrument would hear.
      // It logs in with a service login it registers in the shared database, which the API's broker
      // accepts when it enforces credentials (MQTT_AUTH=on).
      brokerUrl = `mqtt://127.0.0.1:${config.mqtt.port}`;
      const login = await registerServiceLogin(serviceLogins);
      closers.push(() => login.remove());
      workerLogin = login;
    } else if (config.mqtt.mode === 'embedded') {
      const security = brokerAuth?.security;
      try {
        embeddedBroker = await startEmbeddedBroker({ host: config.mqtt.host, port: config.mqtt.port, security });
      } catch (error) {
        if (!(error instanceof BrokerPortInUseError) || config.mqtt.portExplicit) throw error;
        embeddedBroker = await startEmbeddedBroker({ host: config.mqtt.host, port: 0, security });
        log(`port ${config.mqtt.port} is taken (another broker?); the embedded broker listens on ${embeddedBroker.port} instead (workers beside this process: MQTT_PORT=${embeddedBroker.port})`);
      }
      closers.push(() => embeddedBroker!.close());
      brokerUrl = `mqtt://127.0.0.1:${embeddedBroker.port}`;
    } else {
      brokerUrl = config.mqtt.url;
    }
    const mqtt = await MqttConnection.connect({
      url: brokerUrl,
      clientId,
      username: config.mqtt.mode === 'server' ? config.mqtt.username : (workerLogin ?? brokerAuth?.service)?.username,
      password: config.mqtt.mode === 'server' ? config.mqtt.password : (workerLogin ?? brokerAuth?.service)?.password,
      connectTimeoutMs: workerOnEmbedded ? 5000 : undefined,
    }).catch((error: Error) => {
      if (!workerOnEmbedded) throw error;
      throw new StartupError(
        `a worker without MQTT_URL uses the embedded broker of the API process (npm start) at ${brokerUrl}, which did not answer (${error.message}): ` +
          'start the API first, give the worker the same MQTT_PORT as the API and the same database (DATABASE_URL, or DATA_DIR and EMBEDDED_PG_PORT): ' +
          'with MQTT_AUTH=on the API\'s broker accepts the login the worker registers there',
      );
    });
    closers.push(() => mqtt.close());

    // Jobs
    const jobs: JobQueue =
      config.queue.mode === 'redis'
        ? new BullMqJobQueue(new JobRepository(dataSource), config.queue.url, config.queue.prefix)
        : new InProcessJobQueue(new JobRepository(dataSource));
    closers.push(() => jobs.close());

    const database = {
      mode: config.database.mode,
      target: embeddedPg ? `embedded PostgreSQL in ${embeddedPg.dataDir} on port ${config.database.mode === 'embedded' ? config.database.port : ''}${embeddedPg.reused ? ' (reused running cluster)' : ''}` : redact(url),
      url,
      appliedMigrations: applied,
    };
    const broker = {
      mode: config.mqtt.mode,
      url: embeddedBroker ? `mqtt://${config.mqtt.mode === 'embedded' ? config.mqtt.host : ''}:${embeddedBroker.port}` : redact(brokerUrl),
      // a worker on the API's embedded broker
      shared: workerOnEmbedded,
      disconnectInstrument: (instrumentId: string) =>
        embeddedBroker && brokerAuth ? brokerAuth.security.clientsOf(instrumentId).filter((clientId) => embeddedBroker!.disconnect(clientId)).length : 0,
    };
    return {
      config,
      dataSource,
      mqtt,
      jobs,
      database,
      broker,
      describe: () => [
        `database: ${database.mode === 'embedded' ? database.target : `PostgreSQL server ${database.target}`}` +
          (applied.length > 0 ? ` (applied migrations: ${applied.join(', ')})` : ' (schema up to date)'),
        `mqtt: ${broker.shared ? `the API's embedded broker at ${broker.url}` : broker.mode === 'embedded' ? `embedded aedes broker listening on ${broker.url}` : `broker ${broker.url}`} (topic prefix ${config.mqtt.topicPrefix})` +
          (config.mqtt.mode === 'embedded' && !broker.shared ? `; ${brokerExposure(config.mqtt.host, config.security.mqttAuth)}` : ''),
        `jobs: ${jobs.mode === 'redis' ? `BullMQ on ${redact(config.queue.mode === 'redis' ? config.queue.url : '')}` : 'in-process (set REDIS_URL for BullMQ workers)'}`,
        `knowledge: ${config.knowledge.mode === 'llm' ? `LLM at ${config.knowledge.baseUrl} (model ${config.knowledge.model})` : 'offline rule-based provider (set OPENAI_BASE_URL for an LLM)'}`,
      ],
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** What the start-up log says about who can reach the embedded broker and what they may do there. */
export function brokerExposure(host: string, mqttAuth: boolean): string {
  const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
  if (loopback) {
    return `reachable from this machine only${mqttAuth ? ', instrument credentials required (MQTT_AUTH=on)' : ' (set MQTT_AUTH=on, and MQTT_HOST if needed, for instruments on other machines)'}`;
  }
  return mqttAuth
    ? `reachable from the network on ${host}, instrument credentials and topic rights enforced (MQTT_AUTH=on)`
    : `WARNING: OPEN BROKER on ${host} without credentials (MQTT_AUTH=off): anyone who reaches this port reads every dispatch and can publish as any instrument; set MQTT_AUTH=on`;
}

/** Hide passwords in URLs that go to logs and /health. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}
