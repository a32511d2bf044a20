import { Module, type DynamicModule } from '@nestjs/common';
import { HttpModule } from '../http/http.module.js';
import { AuditModule } from '../services/campaigns/audit.module.js';
import { DesignModule } from '../services/design/design.module.js';
import type { Infrastructure } from '../services/tokens.js';
import { InfrastructureModule } from './infrastructure.module.js';

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
