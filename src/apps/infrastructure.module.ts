import { Global, Module, type DynamicModule } from '@nestjs/common';
import { RepositoriesModule } from '../repositories/repositories.module.js';
import type { Infrastructure } from '../services/tokens.js';
import { APP_CONFIG, INFRASTRUCTURE, JOB_QUEUE, MQTT } from '../services/tokens.js';

/** What the bootstrap started before Nest (configuration, database, broker connection, job queue), for injection. */
@Global()
@Module({})
export class InfrastructureModule {
  static forInfrastructure(infra: Infrastructure): DynamicModule {
    const providers = [
      { provide: INFRASTRUCTURE, useValue: infra },
      { provide: APP_CONFIG, useValue: infra.config },
      { provide: JOB_QUEUE, useValue: infra.jobs },
      { provide: MQTT, useValue: infra.mqtt },
    ];
    return {
      module: InfrastructureModule,
      imports: [RepositoriesModule.forDataSource(infra.dataSource)],
      providers,
      exports: providers.map((p) => p.provide),
    };
  }
}
