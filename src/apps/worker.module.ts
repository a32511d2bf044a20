import { Module, type DynamicModule } from '@nestjs/common';
import { HealthController } from '../http/health.controller.js';
import { DesignModule } from '../services/design/design.module.js';
import { StatusModule } from '../services/status/status.module.js';

/**
 * The worker role: the design loop's job handler (design iterations taken from the queue, their
 * proposals dispatched over MQTT) on the same feature modules as the API, and no HTTP API: only
 * `/health` when the worker has a port of its own (WORKER_PORT).
 */
@Module({})
export class WorkerModule {
  static withHealth(health: boolean): DynamicModule {
    return { module: WorkerModule, imports: [DesignModule, ...(health ? [StatusModule] : [])], controllers: health ? [HealthController] : [] };
  }
}
