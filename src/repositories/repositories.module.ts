import { Global, Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ApiKeyRepository, InstrumentCredentialRepository } from './api-key.repository.js';
import { AuditRepository } from './audit.repository.js';
import { BrokerServiceLoginRepository } from './broker-login.repository.js';
import { CampaignRepository } from './campaign.repository.js';
import { Database } from './database.js';
import { ExperimentRepository } from './experiment.repository.js';
import { InstrumentRepository } from './instrument.repository.js';
import { JobRepository } from './job.repository.js';
import { CampaignArchiveRepository } from './campaign-archive.repository.js';
import { PgKnowledgeCache } from './knowledge-cache.repository.js';
import { ProgressRepository } from './progress.repository.js';
import { MeasurementRepository } from './measurement.repository.js';
import { ModelRepository, RefinementRepository } from './model.repository.js';
import { RejectedMessageRepository } from './rejected-message.repository.js';

const REPOSITORIES = [
  Database, ApiKeyRepository, InstrumentCredentialRepository, AuditRepository, CampaignRepository, ExperimentRepository,
  InstrumentRepository, JobRepository, MeasurementRepository, ModelRepository, RefinementRepository, RejectedMessageRepository,
  CampaignArchiveRepository, ProgressRepository, PgKnowledgeCache, BrokerServiceLoginRepository,
];

/** Every repository, once, for the whole application, on the data source the bootstrap opened. */
@Global()
@Module({})
export class RepositoriesModule {
  static forDataSource(dataSource: DataSource): DynamicModule {
    return {
      module: RepositoriesModule,
      providers: [{ provide: DataSource, useValue: dataSource }, ...REPOSITORIES],
      exports: REPOSITORIES,
    };
  }
}
