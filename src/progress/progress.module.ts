import { Module } from '@nestjs/common';
import { CampaignsService } from '../campaigns/campaigns.service.js';
import { ExportService } from './export.service.js';
import { LiveFeed } from './live-feed.service.js';
import { DashboardController, ProgressController } from './progress.controller.js';
import { ProgressService } from './progress.service.js';

/**
 * PI progress: analytics API, live feed (SSE), exports and import, server-side plots and the
 * dashboard page. Uses the global AppModule's DataSource, AuditService and CampaignEvents;
 * CampaignsService (stateless) is instantiated here for campaign lookup and creation on import.
 */
@Module({
  controllers: [ProgressController, DashboardController],
  providers: [ProgressService, LiveFeed, ExportService, CampaignsService],
})
export class ProgressModule {}
