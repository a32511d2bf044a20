import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from './config/config.js';
import { startInfrastructure, StartupError } from './apps/infrastructure.js';
import { bootstrapApi } from './apps/api.js';
import { bootstrapWorker } from './apps/worker.js';
import { serviceLogger } from './config/logger.js';
import { EmbeddedPostgresError } from '../adapters/storage/embedded-postgres.js';
import { BrokerPortInUseError } from '../adapters/mqtt/embedded-broker.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = serviceLogger(config.log);
  Logger.overrideLogger(logger); // every Logger in the service, from the first line on
  const log = new Logger('Bootstrap');
  const infra = await startInfrastructure(config, (m) => log.log(m));
  for (const line of infra.describe()) log.log(line);
  // One build, one entry point per role (as immich does): the API (and with `all` the worker too), or a worker alone.
  const app = config.role === 'worker' ? await bootstrapWorker(infra, logger, (m) => log.log(m)) : await bootstrapApi(infra, logger, (m) => log.log(m));

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal}: shutting down`);
    await app.close().catch(() => undefined);
    await infra.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error) => {
  // A known cause is one line that says what to do; anything else keeps its stack.
  const known = error instanceof StartupError || error instanceof EmbeddedPostgresError || error instanceof BrokerPortInUseError;
  console.error('start-up failed:', known ? error.message : error instanceof Error ? error.stack : error);
  process.exit(1);
});
