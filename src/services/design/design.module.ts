import { Module } from '@nestjs/common';
import { CampaignsModule } from '../campaigns/campaigns.module.js';
import { LabModule } from '../lab/lab.module.js';
import { DesignLoopService } from './design-loop.service.js';

/** The design loop: a design iteration per campaign whenever results arrive or a campaign starts. */
@Module({ imports: [CampaignsModule, LabModule], providers: [DesignLoopService], exports: [DesignLoopService] })
export class DesignModule {}
