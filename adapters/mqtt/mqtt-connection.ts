/**
 * A thin wrapper over the `mqtt` client with the delivery rules of the instrument protocol:
 * QoS 1 in both directions, persistent sessions (clean = false, stable client id) so QoS 1
 * messages queued by the broker while we are away are delivered when we come back, automatic
 * reconnect with resubscription when the broker lost the session, and promises for publish.
 *
 * It knows nothing of topics or payloads; `protocol.ts` does.
 */
import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export type MessageHandler = (topic: string, payload: Buffer) => void;

export interface MqttConnectionOptions {
  /** e.g. mqtt://127.0.0.1:1883 */
  url: string;
  /** Stable across restarts: the broker keeps the session (subscriptions, queued QoS 1) under it. */
  clientId: string;
  username?: string;
  password?: string;
  /**
   * 5 or 4 (= 3.1.1). Left out: MQTT 5, falling back to 3.1.1 when the broker refuses 5
   * (e.g. aedes), since the protocol allows either.
   */
  protocolVersion?: 4 | 5;
  /** false (default): a persistent session. */
  clean?: boolean;
  /** MQTT 5: how long the broker keeps the session after a disconnect. Default one day. */
  sessionExpirySeconds?: number;
  /** Published by the broker when the connection drops without a DISCONNECT (QoS 1). */
  will?: { topic: string; payload: string | Buffer; retain?: boolean };
  keepaliveSeconds?: number;
  reconnectPeriodMs?: number;
  /** How long the first connect may take before `connect()` rejects. */
  connectTimeoutMs?: number;
  /** Registered before connecting, so messages the broker queued for the session are not missed. */
  onMessage?: MessageHandler;
}

interface ConnectionEvents {
  /** Every successful CONNACK; `resumed` when the broker still had our session. */
  connect: [{ resumed: boolean }];
  /** The connection was lost; the client is trying again. */
  offline: [];
  error: [Error];
}

/** Messages kept while no handler is registered (see the 'message' listener). */
const MAX_UNCLAIMED = 100_000;

const UNSUPPORTED_PROTOCOL = new Set([1, 0x84]); // 3.1.1 return code 1, MQTT 5 reason code 0x84

export class MqttConnection extends EventEmitter<ConnectionEvents> {
  private readonly handlers = new Set<MessageHandler>();
  private readonly unclaimed: [string, Buffer][] = [];
  private readonly subscriptions = new Set<string>();
  private closed = false;

  private constructor(
    private readonly client: MqttClient,
    readonly clientId: string,
    readonly protocolVersion: 4 | 5,
  ) {
    super();
    client.on('message', (topic, payload) => {
      // A resumed session delivers what the broker queued as soon as we connect, maybe before
      // anyone listens: keep those until the first handler arrives instead of dropping them.
      if (this.handlers.size === 0) {
        if (this.unclaimed.length < MAX_UNCLAIMED) this.unclaimed.push([topic, payload]);
        else this.reportError(new Error(`dropped a message on ${topic}: nobody listens and ${MAX_UNCLAIMED} are waiting`));
        return;
      }
      for (const handler of this.handlers) {
        try {
          handler(topic, payload);
        } catch (error) {
          this.reportError(error as Error);
        }
      }
    });
    client.on('connect', (connack) => {
      const resumed = connack.sessionPresent;
      // Without the session the broker forgot our subscriptions; with it, resubscribing would
      // only make it resend retained messages.
      if (!resumed && this.subscriptions.size > 0) {
        client.subscribeAsync([...this.subscriptions], { qos: 1 }).catch((error: Error) => this.reportError(error));
      }
      this.emit('connect', { resumed });
    });
    client.on('offline', () => this.emit('offline'));
    client.on('error', (error) => this.reportError(error));
  }

  /** Connects (waiting for the first CONNACK); rejects with the broker's or the network's reason. */
  static async connect(options: MqttConnectionOptions): Promise<MqttConnection> {
    const version = options.protocolVersion ?? 5;
    try {
      return await MqttConnection.connectWith(options, version);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (options.protocolVersion === undefined && typeof code === 'number' && UNSUPPORTED_PROTOCOL.has(code)) {
        return MqttConnection.connectWith(options, 4);
      }
      throw error;
    }
  }

  private static connectWith(options: MqttConnectionOptions, protocolVersion: 4 | 5): Promise<MqttConnection> {
    const clientOptions: IClientOptions = {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      protocolVersion,
      clean: options.clean ?? false,
      keepalive: options.keepaliveSeconds ?? 30,
      reconnectPeriod: options.reconnectPeriodMs ?? 1000,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // We resubscribe ourselves, only when the broker lost the session.
      resubscribe: false,
    };
    if (protocolVersion === 5) {
      clientOptions.properties = { sessionExpiryInterval: options.sessionExpirySeconds ?? 86_400 };
    }
    if (options.will) {
      clientOptions.will = {
        topic: options.will.topic,
        payload: Buffer.from(options.will.payload),
        qos: 1,
        retain: options.will.retain ?? false,
      };
    }
    // Don't let mqtt.js retry forever before the first connect: the caller wants an answer.
    const client = mqtt.connect(options.url, { ...clientOptions, reconnectPeriod: 0 });
    const connection = new MqttConnection(client, options.clientId, protocolVersion);
    if (options.onMessage) connection.onMessage(options.onMessage);

    return new Promise((resolve, reject) => {
      const timeoutMs = options.connectTimeoutMs ?? 10_000;
      const fail = (error: Error) => {
        clearTimeout(timer);
        client.removeListener('connect', succeed);
        client.end(true);
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new Error(`MQTT connect to ${options.url} as "${options.clientId}" timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onError = (error: Error) => fail(error);
      const onClose = () => fail(new Error(`MQTT connection to ${options.url} closed before CONNACK`));
      const succeed = () => {
        clearTimeout(timer);
        client.removeListener('error', onError);
        client.removeListener('close', onClose);
        client.options.reconnectPeriod = options.reconnectPeriodMs ?? 1000;
        resolve(connection);
      };
      client.once('connect', succeed);
      client.once('error', onError);
      client.once('close', onClose);
    });
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /** Adds a handler for every message on every subscription; returns its removal. */
  onMessage(handler: MessageHandler): () => void {
    this.handlers.add(handler);
    for (const [topic, payload] of this.unclaimed.splice(0)) {
      try {
        handler(topic, payload);
      } catch (error) {
        this.reportError(error as Error);
      }
    }
    return () => this.handlers.delete(handler);
  }

  /**
   * Subscribes with QoS 1 to filters, including shared ones (`$share/{group}/{filter}`).
   * Rejects when the broker refuses a filter.
   */
  async subscribe(filters: string | string[]): Promise<void> {
    const list = Array.isArray(filters) ? filters : [filters];
    for (const filter of list) this.subscriptions.add(filter);
    let granted;
    try {
      granted = await this.client.subscribeAsync(list, { qos: 1 });
    } catch (error) {
      // mqtt.js turns a SUBACK failure code into an error without saying which filter.
      for (const filter of list) this.subscriptions.delete(filter);
      const filters = list.map((filter) => `"${filter}"`).join(', ');
      throw new Error(`broker refused subscription to ${filters}: ${(error as Error).message}`);
    }
    const refused = granted.filter((grant) => grant.qos !== 0 && grant.qos !== 1 && grant.qos !== 2);
    if (refused.length > 0) {
      for (const grant of refused) this.subscriptions.delete(grant.topic);
      throw new Error(`broker refused subscription to ${refused.map((grant) => `"${grant.topic}"`).join(', ')}`);
    }
  }

  async unsubscribe(filters: string | string[]): Promise<void> {
    const list = Array.isArray(filters) ? filters : [filters];
    for (const filter of list) this.subscriptions.delete(filter);
    await this.client.unsubscribeAsync(list);
  }

  /**
   * Publishes with QoS 1; resolves on PUBACK. While disconnected the message waits in the
   * client's outgoing store and goes out on reconnect.
   */
  async publish(topic: string, payload: string | Buffer, options: { retain?: boolean } = {}): Promise<void> {
    await this.client.publishAsync(topic, payload, { qos: 1, retain: options.retain ?? false });
  }

  /** A clean DISCONNECT (the broker discards the will). Waits briefly for in-flight publishes. */
  async close(timeoutMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.client.end(true, () => resolve()), timeoutMs);
      this.client.end(false, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Drops the connection without a DISCONNECT and does not reconnect, as a crash or a pulled
   * cable would: the broker publishes the will. For simulators and tests.
   */
  async drop(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.client.end(true, () => resolve()));
  }

  private reportError(error: Error): void {
    // An EventEmitter throws on an unhandled 'error'; a dropped connection must not crash the process.
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}
