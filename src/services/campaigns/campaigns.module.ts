import { Module } from '@nestjs/common';
import { ExperimentsService } from './experiments.service.js';
import { PredictionService } from './prediction.service.js';
import { CampaignsService } from './campaigns.service.js';

/** Campaigns, their experiments and the surrogates' predictions (one instance of each service). */
@Module({ providers: [CampaignsService, ExperimentsService, PredictionService], exports: [CampaignsService, ExperimentsService, PredictionService] })
export class CampaignsModule {}
