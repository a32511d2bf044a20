/**
 * An in-process MQTT broker (aedes, MQTT 3.1.1) for a machine without Mosquitto: the demo and
 * tests. Retained messages, wills and persistent sessions live in memory.
 */
import net from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';

/**
 * Security hooks, all optional (everything allowed without them). Plain async functions so the
 * auth module can plug in API keys / per-instrument topic rights without knowing aedes.
 */
export interface BrokerSecurity {
  authenticate?(clientId: string, username: string | undefined, password: Buffer | undefined): Promise<boolean> | boolean;
  /** payloadBytes: the size of the message, so a hook can refuse oversized publishes. */
  authorizePublish?(clientId: string, topic: string, payloadBytes: number): Promise<boolean> | boolean;
  authorizeSubscribe?(clientId: string, filter: string): Promise<boolean> | boolean;
}

export interface EmbeddedBrokerOptions {
  /** Default 1883; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (not reachable from other machines unless asked). */
  host?: string;
  security?: BrokerSecurity;
}

export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  /** mqtt://host:port */
  readonly url: string;
  readonly aedes: Aedes;
  /** Drop a connected client (its will is published, as for any connection lost); false if none has that id. */
  disconnect(clientId: string): boolean;
  close(): Promise<void>;
}

export class BrokerPortInUseError extends Error {
  override name = 'BrokerPortInUseError';
  constructor(
    readonly host: string,
    readonly port: number,
  ) {
    super(
      `cannot start the embedded MQTT broker: ${host}:${port} is already in use ` +
        '(another broker such as Mosquitto may be running; point the service at it or choose another port)',
    );
  }
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const requestedPort = options.port ?? 1883;
  const aedes = await Aedes.createBroker();
  installSecurity(aedes, options.security ?? {});

  const server = net.createServer((socket) => aedes.handle(socket));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(requestedPort, host, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new BrokerPortInUseError(host, requestedPort);
    throw error;
  }
  const port = (server.address() as net.AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    host,
    port,
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    aedes,
    disconnect(clientId) {
      const client = (aedes as unknown as { clients: Record<string, { close(): void } | undefined> }).clients[clientId];
      if (!client) return false;
      client.close();
      return true;
    },
    close() {
      closing ??= (async () => {
        // aedes.close() disconnects the clients; the server then stops once its sockets are gone.
        await new Promise<void>((resolve) => aedes.close(() => resolve()));
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}

function installSecurity(aedes: Aedes, security: BrokerSecurity): void {
  const { authenticate, authorizePublish, authorizeSubscribe } = security;
  if (authenticate) {
    aedes.authenticate = (client, username, password, done) => {
      Promise.resolve(authenticate(client.id, username, password)).then(
        (allowed) => {
          if (allowed) return done(null, true);
          const error = new Error('bad username or password') as AuthenticateError;
          error.returnCode = 4; // BAD_USERNAME_OR_PASSWORD (a const enum, not importable at run time)
          done(error, false);
        },
        () => done(Object.assign(new Error('authentication failed'), { returnCode: 3 }) as AuthenticateError, false),
      );
    };
  }
  if (authorizePublish) {
    aedes.authorizePublish = (client, packet, callback) => {
      // client is null for messages the broker itself publishes (wills go through with the client).
      if (!client) return callback(null);
      const payloadBytes = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : (packet.payload?.length ?? 0);
      Promise.resolve(authorizePublish(client.id, packet.topic, payloadBytes)).then(
        (allowed) => callback(allowed ? null : new Error(`publish to ${packet.topic} not authorised`)),
        (error: Error) => callback(error),
      );
    };
  }
  if (authorizeSubscribe) {
    aedes.authorizeSubscribe = (client, subscription, callback) => {
      Promise.resolve(authorizeSubscribe(client.id, subscription.topic)).then(
        // A null subscription makes aedes answer the SUBACK with a failure code for this filter.
        (allowed) => callback(null, allowed ? subscription : null),
        (error: Error) => callback(error),
      );
    };
  }
}
