import { Module } from '@nestjs/common';
import { CampaignsModule } from '../campaigns/campaigns.module.js';
import { ExportService } from './export.service.js';
import { LiveFeed } from './live-feed.service.js';
import { ProgressService } from './progress.service.js';

/** PI progress: analytics, live feed (SSE), exports and import of whole campaigns. */
@Module({ imports: [CampaignsModule], providers: [ProgressService, LiveFeed, ExportService], exports: [ProgressService, LiveFeed, ExportService] })
export class ProgressModule {}
