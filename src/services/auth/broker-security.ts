/**
 * Instrument authentication and topic rights on the embedded broker, through its `security` hook.
 * An instrument logs in with username = its id and the password issued by
 * `POST /api/v1/instruments/:id/credentials`; it may publish only its own status, events and
 * results, and subscribe only to its own jobs topic. The service's own client logs in with a
 * credential generated at start (kept in memory) and may do everything; so may a worker beside it,
 * with a login of its own that it registered in the shared database (only its hash is stored,
 * `broker_service_login`). Payloads above the
 * protocol's MAX_PAYLOAD_BYTES are refused whatever the enforcement switch says.
 */
import { randomBytes } from 'node:crypto';
import type { BrokerSecurity } from '../../../adapters/mqtt/embedded-broker.js';
import { InstrumentTopics, isValidInstrumentId, MAX_PAYLOAD_BYTES } from '../../../adapters/mqtt/protocol.js';
import type { InstrumentCredentialRepository } from '../../repositories/api-key.repository.js';
import type { RejectedMessageRepository } from '../../repositories/rejected-message.repository.js';
import type { BrokerServiceLoginRepository } from '../../repositories/broker-login.repository.js';
import { verifyInstrumentPassword } from './instrument-credentials.service.js';
import { generatePassword, mosquittoHash, safeEqual, verifyMosquittoHash } from '../../common/secrets.js';

export type BrokerIdentity = { kind: 'service' } | { kind: 'instrument'; instrumentId: string };

export interface ServiceCredential {
  username: string;
  password: string;
}

const SERVICE_USERNAME_PREFIX = 'aimd-service.';

/** The service's own broker login, new at every start. The `.` keeps it apart from instrument ids. */
export function generateServiceCredential(): ServiceCredential {
  return { username: `${SERVICE_USERNAME_PREFIX}${randomBytes(4).toString('hex')}`, password: generatePassword() };
}

/** A username of the service's own logins (never an instrument id). */
export function isServiceUsername(username: string): boolean {
  return username.startsWith(SERVICE_USERNAME_PREFIX);
}

/** The topics an instrument may publish: its own status (and last will), events and results. */
export function instrumentMayPublish(topics: InstrumentTopics, instrumentId: string, topic: string): boolean {
  return topic === topics.status(instrumentId) || topic === topics.events(instrumentId) || topic === topics.results(instrumentId);
}

/** The only filter an instrument may subscribe to: its own jobs topic (no wildcards). */
export function instrumentMaySubscribe(topics: InstrumentTopics, instrumentId: string, filter: string): boolean {
  return filter === topics.jobs(instrumentId);
}

export interface BrokerRefusal {
  clientId: string;
  who: string | null;
  action: 'connect' | 'publish' | 'subscribe';
  topic?: string;
  reason: string;
}

export interface BrokerSecurityOptions {
  topicPrefix: string;
  /** Check credentials and topic rights (MQTT_AUTH=on); off: anyone may connect, only the size limit holds. */
  enforce: boolean;
  service: ServiceCredential;
  /** The service's own MQTT client id: no other login may take it over (a takeover would disconnect the service). */
  serviceClientId?: string;
  /** Is this the instrument's current password? (looks up the stored hash) */
  verifyInstrument(instrumentId: string, password: string): Promise<boolean>;
  /** Is this a service login another process of the service (a worker) registered? Absent: none is. */
  verifyService?(username: string, password: string): Promise<boolean>;
  maxPayloadBytes?: number;
  onRefused?(refusal: BrokerRefusal): void;
}

export interface InstrumentAwareSecurity extends BrokerSecurity {
  /** Client ids of the connections that logged in as this instrument (to drop them when its credentials go). */
  clientsOf(instrumentId: string): string[];
}

export function createBrokerSecurity(options: BrokerSecurityOptions): InstrumentAwareSecurity {
  const topics = new InstrumentTopics(options.topicPrefix);
  const maxPayload = options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES;
  const refused = (r: BrokerRefusal) => {
    options.onRefused?.(r);
    return false;
  };
  // aedes names a client by its client id in the later hooks; the login that id made is kept here
  // (a new login with the same client id replaces the old connection and this entry).
  const identities = new Map<string, BrokerIdentity>();
  const describe = (id: BrokerIdentity | undefined) => (id === undefined ? null : id.kind === 'service' ? 'service' : id.instrumentId);

  const sizeCheck = (clientId: string, topic: string, bytes: number): boolean =>
    bytes <= maxPayload ||
    refused({ clientId, who: describe(identities.get(clientId)), action: 'publish', topic, reason: `payload of ${bytes} bytes exceeds ${maxPayload}` });

  const clientsOf = (instrumentId: string) =>
    [...identities].filter(([, id]) => id.kind === 'instrument' && id.instrumentId === instrumentId).map(([clientId]) => clientId);

  if (!options.enforce) {
    return { authorizePublish: (clientId, topic, bytes) => sizeCheck(clientId, topic, bytes), clientsOf };
  }

  return {
    clientsOf,
    async authenticate(clientId, username, password) {
      const secret = password?.toString('utf8') ?? '';
      if (username === undefined || secret === '') {
        return refused({ clientId, who: username ?? null, action: 'connect', reason: 'no username or password' });
      }
      if (username === options.service.username) {
        if (!safeEqual(secret, options.service.password)) return refused({ clientId, who: username, action: 'connect', reason: 'wrong password' });
        identities.set(clientId, { kind: 'service' });
        return true;
      }
      if (options.serviceClientId !== undefined && clientId === options.serviceClientId) {
        return refused({ clientId, who: username, action: 'connect', reason: "the service's own client id (a takeover would disconnect the service)" });
      }
      if (isServiceUsername(username)) {
        if (!(await options.verifyService?.(username, secret))) return refused({ clientId, who: username, action: 'connect', reason: 'unknown service login or wrong password' });
        identities.set(clientId, { kind: 'service' });
        return true;
      }
      if (!isValidInstrumentId(username) || !(await options.verifyInstrument(username, secret))) {
        return refused({ clientId, who: username, action: 'connect', reason: 'unknown instrument or wrong password' });
      }
      identities.set(clientId, { kind: 'instrument', instrumentId: username });
      return true;
    },
    authorizePublish(clientId, topic, bytes) {
      const id = identities.get(clientId);
      if (!sizeCheck(clientId, topic, bytes)) return false;
      if (id?.kind === 'service') return true;
      if (id?.kind === 'instrument' && instrumentMayPublish(topics, id.instrumentId, topic)) return true;
      return refused({ clientId, who: describe(id), action: 'publish', topic, reason: 'not this instrument\'s topic' });
    },
    authorizeSubscribe(clientId, filter) {
      const id = identities.get(clientId);
      if (id?.kind === 'service') return true;
      if (id?.kind === 'instrument' && instrumentMaySubscribe(topics, id.instrumentId, filter)) return true;
      return refused({ clientId, who: describe(id), action: 'subscribe', topic: filter, reason: 'an instrument may subscribe only to its own jobs topic' });
    },
  };
}

/** Refused publishes of one client recorded in the rejected-message store, at most. */
export const RECORDED_REFUSALS_PER_CLIENT = 20;

/**
 * The embedded broker's security for this configuration: credentials and topic rights when
 * MQTT_AUTH=on, the payload size limit always. Refused publishes go to the rejected-message store
 * (with their reason; the payload itself never reached the service) and every refusal to the log.
 */
export function embeddedBrokerAuth(
  config: { mqtt: { topicPrefix: string }; security: { mqttAuth: boolean } },
  stores: { credentials: InstrumentCredentialRepository; rejected: RejectedMessageRepository; serviceLogins: BrokerServiceLoginRepository },
  log: (message: string) => void,
  serviceClientId?: string,
): { security: InstrumentAwareSecurity; service: ServiceCredential } {
  const service = generateServiceCredential();
  // Refused publishes are recorded, at most RECORDED_REFUSALS_PER_CLIENT per client connection (a
  // client looping on forbidden topics wrote hundreds of rows); the rest go to the log only.
  const recorded = new Map<string, number>();
  const security = createBrokerSecurity({
    topicPrefix: config.mqtt.topicPrefix,
    enforce: config.security.mqttAuth,
    service,
    serviceClientId,
    verifyInstrument: (instrumentId, password) => verifyInstrumentPassword(stores.credentials, instrumentId, password),
    verifyService: async (username, password) => {
      const hash = await stores.serviceLogins.passwordHash(username);
      return hash !== null && verifyMosquittoHash(password, hash);
    },
    onRefused: (r) => {
      log(`mqtt: refused ${r.action}${r.topic ? ` ${r.topic}` : ''} from client ${r.clientId}${r.who ? ` (${r.who})` : ''}: ${r.reason}`);
      if (r.action !== 'publish') return;
      const n = (recorded.get(r.clientId) ?? 0) + 1;
      if (recorded.size > 10_000) recorded.clear();
      recorded.set(r.clientId, n);
      if (n > RECORDED_REFUSALS_PER_CLIENT) {
        if (n === RECORDED_REFUSALS_PER_CLIENT + 1) log(`mqtt: client ${r.clientId} keeps publishing where it may not; further refusals are logged, not recorded`);
        return;
      }
      stores.rejected
        .insertMany([{
          channel: 'mqtt',
          topic: r.topic ?? null,
          instrumentId: r.who && r.who !== 'service' ? r.who : null,
          payload: '(refused by the broker before delivery; payload not kept)',
          reason: `broker refused the publish: ${r.reason}`,
        }])
        .catch((e: Error) => log(`mqtt: could not record the refusal: ${e.message}`));
    },
  });
  return { security, service };
}

/**
 * A worker's login on the API's embedded broker: a new service credential, its hash registered in
 * the shared database for the API's broker to accept (whether or not that broker enforces
 * MQTT_AUTH; without it the login is simply not checked). `remove` takes it out again at shutdown.
 */
export async function registerServiceLogin(logins: BrokerServiceLoginRepository): Promise<ServiceCredential & { remove(): Promise<void> }> {
  const credential = generateServiceCredential();
  await logins.add(credential.username, mosquittoHash(credential.password));
  return { ...credential, remove: () => logins.remove(credential.username) };
}
