import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import type { AppConfig } from '../config/config.js';
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeysController, InstrumentCredentialsController, MeController } from './auth.controllers.js';
import { AuthGuard } from './auth.guard.js';
import { CampaignResolver } from './campaign-resolver.js';
import { PayloadTooLargeFilter } from './http-limits.js';
import { InstrumentCredentialsService } from './instrument-credentials.service.js';

/** What AppModule registers for authentication, roles and limits (one spread each). */
export const AUTH_CONTROLLERS: Type[] = [ApiKeysController, MeController, InstrumentCredentialsController];

export const AUTH_PROVIDERS: Provider[] = [
  ApiKeysService,
  InstrumentCredentialsService,
  CampaignResolver,
  { provide: APP_GUARD, useClass: AuthGuard },
  { provide: APP_FILTER, useClass: PayloadTooLargeFilter },
];

/** Upload limits for every FileInterceptor: one file of at most MAX_BODY_BYTES. */
export function authImports(config: AppConfig): DynamicModule[] {
  return [MulterModule.register({ limits: { fileSize: config.http.maxBodyBytes, files: 1, fields: 50 } })];
}
