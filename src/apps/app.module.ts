import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { MulterModule } from '@nestjs/platform-express';
import { AuditModule } from '../services/campaigns/audit.module.js';
import { ApiKeysController, InstrumentCredentialsController, MeController } from '../http/auth.controllers.js';
import { AuthGuard } from '../http/auth.guard.js';
import { AuthModule } from '../services/auth/auth.module.js';
import { PayloadTooLargeFilter } from '../http/http-limits.js';
import { CampaignsController } from '../http/campaigns.controller.js';
import { CampaignsModule } from '../services/campaigns/campaigns.module.js';
import { DatabaseUnavailableFilter } from '../common/database-unavailable.filter.js';
import { DesignModule } from '../services/design/design.module.js';
import { ExperimentsController } from '../http/experiments.controller.js';
import { HealthController } from '../http/health.controller.js';
import type { Infrastructure } from '../services/tokens.js';
import { InfrastructureModule } from './infrastructure.module.js';
import { InstrumentsController } from '../http/instruments.controller.js';
import { JobsController } from '../http/jobs.controller.js';
import { LabModule } from '../services/lab/lab.module.js';
import { MeasurementsController } from '../http/measurements.controller.js';
import { RejectedMessagesController } from '../http/rejected-messages.controller.js';
import { DashboardController, ProgressController } from '../http/progress.controller.js';
import { ProgressModule } from '../services/progress/progress.module.js';

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
        AuthModule, CampaignsModule, LabModule, ProgressModule,
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

/** The Nest shell around the core, given already-started infrastructure: feature modules, one instance of each service. */
@Module({})
export class AppModule {
  static forInfrastructure(infra: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      imports: [InfrastructureModule.forInfrastructure(infra), AuditModule, HttpModule.forInfrastructure(infra), DesignModule],
    };
  }
}
