import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AuditService } from './audit/audit.service.js';
import { AUTH_CONTROLLERS, AUTH_PROVIDERS, authImports } from './auth/auth.registration.js';
import { CampaignEvents } from './campaigns/campaign-events.js';
import { CampaignsController } from './campaigns/campaigns.controller.js';
import { CampaignsService } from './campaigns/campaigns.service.js';
import { DatabaseUnavailableFilter } from './common/database-unavailable.filter.js';
import { HealthController } from './health/health.controller.js';
import type { Infrastructure } from './infrastructure/infrastructure.js';
import { APP_CONFIG, INFRASTRUCTURE, JOB_QUEUE, MQTT } from './infrastructure/tokens.js';
import { ApiKeysService } from './auth/api-keys.service.js';
import { RejectedMessagesController } from './measurements/rejected-messages.controller.js';
import { ProgressModule } from './progress/progress.module.js';
import { RepositoriesModule } from './repositories/repositories.module.js';
import { RejectedMessagesService } from './measurements/rejected-messages.service.js';
import { InstrumentsService } from './instruments/instruments.service.js';
import { DesignLoopService } from './design/design-loop.service.js';
import { ExperimentsController } from './experiments/experiments.controller.js';
import { ExperimentsService } from './experiments/experiments.service.js';
import { InstrumentsController } from './instruments/instruments.controller.js';
import { JobsController } from './jobs/jobs.controller.js';
import { DispatcherService } from './lab/dispatcher.service.js';
import { IngestService } from './lab/ingest.service.js';
import { InstrumentGatewayService } from './lab/instrument-gateway.service.js';
import { RejectedStore } from './lab/lab-messages.service.js';
import { MeasurementsController } from './measurements/measurements.controller.js';
import { TechnicianEntryService } from './measurements/technician-entry.service.js';
import { PredictionService } from './models/prediction.service.js';

/** The Nest shell: controllers and services around the core, given already-started infrastructure. */
@Module({})
export class AppModule {
  static forInfrastructure(infra: Infrastructure): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [RepositoriesModule, ProgressModule, ...authImports(infra.config)],
      controllers: [
        // ExperimentsController before CampaignsController: its POST campaigns/:id/results must match before campaigns/:id/:action
        HealthController, ExperimentsController, CampaignsController, MeasurementsController, InstrumentsController,
        RejectedMessagesController, JobsController,
        ...AUTH_CONTROLLERS,
      ],
      providers: [
        { provide: INFRASTRUCTURE, useValue: infra },
        { provide: APP_CONFIG, useValue: infra.config },
        { provide: DataSource, useValue: infra.dataSource },
        { provide: JOB_QUEUE, useValue: infra.jobs },
        { provide: MQTT, useValue: infra.mqtt },
        AuditService,
        CampaignEvents,
        CampaignsService,
        ExperimentsService,
        PredictionService,
        RejectedStore,
        RejectedMessagesService,
        InstrumentsService,
        IngestService,
        DispatcherService,
        InstrumentGatewayService,
        TechnicianEntryService,
        DesignLoopService,
        // Before the specific filters (Nest tries global filters last-registered first).
        { provide: APP_FILTER, useClass: DatabaseUnavailableFilter },
        ...AUTH_PROVIDERS,
      ],
      // ApiKeysService: the live feed asks it again while a stream is open (src/progress)
      exports: [INFRASTRUCTURE, APP_CONFIG, DataSource, JOB_QUEUE, MQTT, AuditService, CampaignEvents, ApiKeysService],
    };
  }
}
