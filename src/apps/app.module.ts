import { Module, type DynamicModule } from '@nestjs/common';
import { AuditModule } from '../services/campaigns/audit.module.js';
import type { Infrastructure } from '../services/tokens.js';
import { ApiModule } from './api.module.js';
import { InfrastructureModule } from './infrastructure.module.js';
import { WorkerModule } from './worker.module.js';

/**
 * The Nest shell of one role around already-started infrastructure, one instance of each service:
 * `api` is ApiModule, `worker` is WorkerModule, `all` (npm start) composes both. Infrastructure
 * (configuration, repositories, broker, queue) and the audit trail with the campaign events are
 * global, so both role modules share them.
 */
@Module({})
export class AppModule {
  /** `http`: a worker built to listen (WORKER_PORT) serves /health, one built without a port serves nothing. */
  static forRole(infra: Infrastructure, options: { http: boolean }): DynamicModule {
    const role = infra.config.role;
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.forInfrastructure(infra),
        AuditModule,
        ...(role === 'worker' ? [] : [ApiModule.forInfrastructure(infra)]),
        // in `all` the API's HealthController answers /health
        ...(role === 'api' ? [] : [WorkerModule.withHealth(role === 'worker' && options.http)]),
      ],
    };
  }
}
