import { Module } from '@nestjs/common';
import { CampaignsModule } from '../campaigns/campaigns.module.js';
import { InstrumentsService } from './instruments.service.js';
import { RejectedMessagesService } from './rejected-messages.service.js';
import { TechnicianEntryService } from './technician-entry.service.js';
import { DispatcherService } from './dispatcher.service.js';
import { IngestService } from './ingest.service.js';
import { InstrumentGatewayService } from './instrument-gateway.service.js';
import { RejectedStore } from './lab-messages.service.js';

const SERVICES = [DispatcherService, IngestService, InstrumentGatewayService, RejectedStore, TechnicianEntryService, RejectedMessagesService, InstrumentsService];

/** The lab side: instrument gateway (MQTT), dispatcher, result ingest, technician entry, rejected messages. */
@Module({ imports: [CampaignsModule], providers: SERVICES, exports: SERVICES })
export class LabModule {}
