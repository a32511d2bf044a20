import type { INestApplication, LoggerService } from '@nestjs/common';
import type { Infrastructure } from '../services/tokens.js';
import { createApiApp } from './api.js';
import { createWorkerApp } from './worker.js';

/**
 * The HTTP application of the configured role, not listening yet (the demo and tests; main.ts uses
 * bootstrapApi / bootstrapWorker): `api` and `all` the whole API, `worker` only /health.
 */
export async function createApp(infra: Infrastructure, logger?: LoggerService | false): Promise<INestApplication> {
  return infra.config.role === 'worker' ? createWorkerApp(infra, logger) : createApiApp(infra, logger);
}
