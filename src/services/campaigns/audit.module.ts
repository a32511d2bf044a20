import { Global, Module } from '@nestjs/common';
import { CampaignEvents } from './campaign-events.js';
import { AuditService } from './audit.service.js';

/** The audit trail and the in-process campaign events: one of each for the whole application. */
@Global()
@Module({ providers: [AuditService, CampaignEvents], exports: [AuditService, CampaignEvents] })
export class AuditModule {}
