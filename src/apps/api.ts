import 'reflect-metadata';
import type { Server } from 'node:http';
import { ValidationPipe, type INestApplication, type LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { AppModule } from './app.module.js';
import { startLab } from './lab-startup.js';
import { API_KEY_HEADER, BEARER } from '../http/auth.controllers.js';
import { keyBeforeBody } from '../http/auth.guard.js';
import { bodyErrorHandler, bodyTimeout } from '../http/http-limits.js';
import { checkJsonBody, jsonDepthGuard, strictUtf8, unsupportedMediaTypeGuard } from '../http/body-guards.js';
import { securityHeaders } from '../http/security-headers.js';
import { documentAccessPolicy } from '../http/swagger.js';
import { completeDocument } from '../http/openapi.js';
import { Database } from '../repositories/database.js';

/** The one route whose body may exceed MAX_BODY_BYTES (POST, a campaign document from export/campaign.json). */
const CAMPAIGN_IMPORT_PATH = '/api/v1/campaigns/import';
import type { Infrastructure } from '../services/tokens.js';

/**
 * The HTTP API around started infrastructure (role `api`, or `all` with the worker composed in):
 * body limits and guards before Nest, validation, Swagger. Not listening yet (see serveApi).
 */
export async function createApiApp(infra: Infrastructure, logger?: LoggerService | false): Promise<INestApplication> {
  if (infra.config.role === 'worker') throw new Error('createApiApp: SERVICE_ROLE=worker serves no API (see createWorkerApp)');
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRole(infra, { http: true }), {
    logger: logger ?? ['error', 'warn', 'log'],
    bodyParser: false,
  });
  const limit = infra.config.http.maxBodyBytes;
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  app.use(securityHeaders()); // CSP, X-Frame-Options, nosniff, ... on every answer, errors included
  const server = app.getHttpServer() as Server;
  server.maxConnections = infra.config.http.maxConnections; // a connection cap (slow sockets cannot pile up without end)
  app.use(bodyTimeout(infra.config.http.bodyTimeoutMs)); // a slow body is a 408 after HTTP_BODY_TIMEOUT_MS
  app.use(keyBeforeBody()); // auth: no key, no body parsing
  app.use(unsupportedMediaTypeGuard()); // a body of a type we cannot read is a 415, never ignored
  const json = (bytes: number) => express.json({ limit: bytes, type: ['application/json', 'application/*+json'], verify: checkJsonBody });
  // A campaign document with its artifacts (models, agent weights) is tens of MB: the import route alone takes IMPORT_MAX_BODY_BYTES.
  const importLimit = infra.config.http.importMaxBodyBytes;
  app.use(CAMPAIGN_IMPORT_PATH, json(importLimit), bodyErrorHandler(importLimit, 'IMPORT_MAX_BODY_BYTES'));
  app.use(json(limit)); // UTF-8, depth and width before parsing (a body parsed above is not read again)
  app.use(express.text({ limit, type: ['text/csv', 'text/plain'], verify: strictUtf8 }));
  app.use(bodyErrorHandler(limit)); // auth: a body over the limit is a JSON 413, unreadable JSON a JSON 400
  app.use(jsonDepthGuard()); // deeply nested JSON is a 400, not a stack overflow in validation
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, transformOptions: { enableImplicitConversion: false } }),
  );
  app.enableShutdownHooks();
  if (infra.config.swagger) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('AIMatDesign campaign service')
        .setDescription(
          'Active-learning campaigns for Zr-based bulk metallic glasses: knowledge-augmented RL (TD3 + TEP + AMR) proposes ' +
            'compositions, instruments measure them over MQTT (protocol aimd/v1), technicians enter results over REST.',
        )
        .setVersion('1')
        .setLicense('UNLICENSED (private)', 'https://docs.npmjs.com/cli/configuring-npm/package-json#license')
        // auth: every route but /health needs an API key, as a bearer token or in X-API-Key
        .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'aimd_<id>_<secret>', description: 'API key' }, BEARER)
        .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'API key' }, API_KEY_HEADER)
        .addSecurityRequirements(BEARER)
        .addSecurityRequirements(API_KEY_HEADER)
        .build(),
    );
    SwaggerModule.setup('docs', app, completeDocument(documentAccessPolicy(document), app.get(Database).entityMetadata()), { jsonDocumentUrl: 'docs-json', swaggerOptions: { persistAuthorization: true } });
  }
  return app;
}

/** The API role's process (main.ts with SERVICE_ROLE api or all, i.e. `npm start`): built, lab started, listening on PORT. */
export async function bootstrapApi(infra: Infrastructure, logger: LoggerService, log: (m: string) => void): Promise<INestApplication> {
  const app = await createApiApp(infra, logger);
  await startLab(app, infra);
  const { host, port } = infra.config.http;
  await app.listen(port, host);
  const url = `http://${host === '0.0.0.0' ? 'localhost' : host}:${port}`;
  const pages = [...(infra.config.swagger ? [`API docs ${url}/docs`] : []), `dashboard ${url}/dashboard`, `health ${url}/health`];
  log(`listening on ${url} (${pages.join(', ')})`);
  return app;
}
