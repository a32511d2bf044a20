import { Module, type DynamicModule } from '@nestjs/common';
import { HttpModule } from '../http/http.module.js';
import { DesignModule } from '../services/design/design.module.js';
import { LabModule } from '../services/lab/lab.module.js';
import type { Infrastructure } from '../services/tokens.js';

/**
 * The API role: the HTTP API (every controller, the auth guard and the filters over the campaign,
 * lab, progress and auth services), the instrument gateway and dispatcher (LabModule), and the
 * design loop's triggers (a result or a start queues a design iteration; a worker runs it).
 */
@Module({})
export class ApiModule {
  static forInfrastructure(infra: Infrastructure): DynamicModule {
    return { module: ApiModule, imports: [HttpModule.forInfrastructure(infra), LabModule, DesignModule] };
  }
}
