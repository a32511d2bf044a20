import { Module } from '@nestjs/common';
import { HealthService } from './health.service.js';
import { JobsService } from './jobs.service.js';

const SERVICES = [HealthService, JobsService];

/** The service's own state: health of its dependencies, and its background jobs. */
@Module({ providers: SERVICES, exports: SERVICES })
export class StatusModule {}
