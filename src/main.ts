import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from './config/config.js';
import { startInfrastructure, StartupError } from './apps/infrastructure.js';
import { createApp } from './apps/app.js';
import { startLab } from './apps/lab-startup.js';
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
  const app = await createApp(infra, logger);
  await startLab(app, infra);
  // A worker opens no HTTP port (so it runs beside `npm start` as it is), unless WORKER_PORT asks for one.
  const port = config.role === 'worker' ? config.http.workerPort : config.http.port;
  if (port === undefined) {
    log.log(`worker: running background jobs from ${infra.jobs.mode === 'redis' ? 'Redis (BullMQ)' : 'this process'}; no HTTP port (set WORKER_PORT for /health)`);
  } else {
    await app.listen(port, config.http.host);
    const url = `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${port}`;
    const pages = [...(config.swagger ? [`API docs ${url}/docs`] : []), `dashboard ${url}/dashboard`, `health ${url}/health`];
    log.log(`listening on ${url} (${pages.join(', ')})`);
  }

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
