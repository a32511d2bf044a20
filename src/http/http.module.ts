import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { ApiKeysController, InstrumentCredentialsController, MeController } from './auth.controllers.js';
import { AuthGuard } from './auth.guard.js';
import { AuthModule } from '../services/auth/auth.module.js';
import { PayloadTooLargeFilter } from './http-limits.js';
import { CampaignsController } from './campaigns.controller.js';
import { CampaignsModule } from '../services/campaigns/campaigns.module.js';
import { DatabaseUnavailableFilter } from '../common/database-unavailable.filter.js';
import { ExperimentsController } from './experiments.controller.js';
import { HealthController } from './health.controller.js';
import type { Infrastructure } from '../services/tokens.js';
import { InstrumentsController } from './instruments.controller.js';
import { JobsController } from './jobs.controller.js';
import { LabModule } from '../services/lab/lab.module.js';
import { MeasurementsController } from './measurements.controller.js';
import { RejectedMessagesController } from './rejected-messages.controller.js';
import { DashboardController, ProgressController } from './progress.controller.js';
import { ProgressModule } from '../services/progress/progress.module.js';
import { StatusModule } from '../services/status/status.module.js';

/**
 * The HTTP API: every controller (in this order: ExperimentsController before CampaignsController,
 * its POST campaigns/:id/results must match before campaigns/:id/:action) and the global guard and
 * filters (Nest tries global filters last-registered first: the database one before the specific ones).
 */
@Module({})
export class HttpModule {
  static forInfrastructure(infra: Infrastructure): DynamicModule {
    return {
      module: HttpModule,
      // Upload limits for every FileInterceptor: one file of at most MAX_BODY_BYTES.
      imports: [
        MulterModule.register({ limits: { fileSize: infra.config.http.maxBodyBytes, files: 1, fields: 50 } }),
        AuthModule, CampaignsModule, LabModule, ProgressModule, StatusModule,
      ],
      controllers: [
        HealthController, ExperimentsController, CampaignsController, MeasurementsController, InstrumentsController,
        RejectedMessagesController, JobsController, ApiKeysController, MeController, InstrumentCredentialsController,
        ProgressController, DashboardController,
      ],
      providers: [
        { provide: APP_FILTER, useClass: DatabaseUnavailableFilter },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_FILTER, useClass: PayloadTooLargeFilter },
      ],
    };
  }
}
