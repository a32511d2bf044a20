import 'reflect-metadata';
import type { Server } from 'node:http';
import type { INestApplication, INestApplicationContext, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { securityHeaders } from '../http/security-headers.js';
import type { Infrastructure } from '../services/tokens.js';
import { AppModule } from './app.module.js';
import { startLab } from './lab-startup.js';

function checkRole(infra: Infrastructure): void {
  if (infra.config.role !== 'worker') throw new Error(`the worker entry point needs SERVICE_ROLE=worker, not ${infra.config.role}`);
}

/** A worker without a port: a Nest application context (design loop and job worker), no HTTP server at all. */
export async function createWorkerContext(infra: Infrastructure, logger?: LoggerService | false): Promise<INestApplicationContext> {
  checkRole(infra);
  return NestFactory.createApplicationContext(AppModule.forRole(infra, { http: false }), { logger: logger ?? ['error', 'warn', 'log'] });
}

/** A worker with a port (WORKER_PORT; tests listen on 0): the same, and `/health` as its only route. Not listening yet. */
export async function createWorkerApp(infra: Infrastructure, logger?: LoggerService | false): Promise<INestApplication> {
  checkRole(infra);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRole(infra, { http: true }), {
    logger: logger ?? ['error', 'warn', 'log'],
    bodyParser: false, // no route takes a body
  });
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  app.use(securityHeaders());
  (app.getHttpServer() as Server).maxConnections = infra.config.http.maxConnections;
  app.enableShutdownHooks();
  return app;
}

/**
 * The worker role's process (`npm run worker`, main.ts with SERVICE_ROLE=worker): the design loop
 * and the job worker started; no HTTP port unless WORKER_PORT asks for one (so it runs beside
 * `npm start` as it is), and then only /health there.
 */
export async function bootstrapWorker(infra: Infrastructure, logger: LoggerService, log: (m: string) => void): Promise<INestApplicationContext> {
  const port = infra.config.http.workerPort;
  const source = infra.jobs.mode === 'redis' ? 'Redis (BullMQ)' : 'this process';
  if (port === undefined) {
    const app = await createWorkerContext(infra, logger);
    await startLab(app, infra);
    log(`worker: running background jobs from ${source}; no HTTP port (set WORKER_PORT for /health)`);
    return app;
  }
  const app = await createWorkerApp(infra, logger);
  await startLab(app, infra);
  const host = infra.config.http.host;
  await app.listen(port, host);
  log(`worker: running background jobs from ${source}; health http://${host === '0.0.0.0' ? 'localhost' : host}:${port}/health (no API routes)`);
  return app;
}
