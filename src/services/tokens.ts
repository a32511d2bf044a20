import type { DataSource } from 'typeorm';
import type { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import type { JobQueue } from '../../adapters/queue/job-queue.js';
import type { AppConfig } from '../config/config.js';

/** Injection tokens for what the bootstrap creates before Nest starts. */
export const APP_CONFIG = Symbol('APP_CONFIG');
export const INFRASTRUCTURE = Symbol('INFRASTRUCTURE');
export const JOB_QUEUE = Symbol('JOB_QUEUE');
export const MQTT = Symbol('MQTT');

/**
 * Everything outside the process the service talks to, started in order before Nest:
 * database (server or embedded) with migrations, MQTT (server or embedded broker) and the
 * job queue (BullMQ on Redis or in-process). `describe()` is what the start-up log prints.
 */
export interface Infrastructure {
  config: AppConfig;
  dataSource: DataSource;
  mqtt: MqttConnection;
  jobs: JobQueue;
  /** `url` is for this process's own helpers (design threads); never log it (it may hold a password). */
  database: { mode: 'server' | 'embedded'; target: string; url: string; appliedMigrations: string[] };
  broker: {
    mode: 'server' | 'embedded';
    url: string;
    shared?: boolean;
    /** Drop the open connections of an instrument whose credentials were withdrawn or replaced (embedded broker; 0 elsewhere). */
    disconnectInstrument(instrumentId: string): number;
  };
  describe(): string[];
  close(): Promise<void>;
}
