import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from './config/config.js';
import { startInfrastructure } from './infrastructure/infrastructure.js';
import { createApp } from './app.js';
import { startLab } from './lab/lab-startup.js';
import { EmbeddedPostgresError } from '../adapters/storage/embedded-postgres.js';
import { BrokerPortInUseError } from '../adapters/mqtt/embedded-broker.js';

async function main(): Promise<void> {
  const log = new Logger('Bootstrap');
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
  const infra = await startInfrastructure(config, (m) => log.log(m));
  for (const line of infra.describe()) log.log(line);
  const app = await createApp(infra);
  await startLab(app, infra);
  await app.listen(config.http.port, config.http.host);
  const url = `http://${config.http.host === '0.0.0.0' ? 'localhost' : config.http.host}:${config.http.port}`;
  log.log(`listening on ${url} (API docs: ${url}/docs, health: ${url}/health)`);

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
  const known = error instanceof EmbeddedPostgresError || error instanceof BrokerPortInUseError;
  console.error('start-up failed:', known ? error.message : error instanceof Error ? error.stack : error);
  process.exit(1);
});
