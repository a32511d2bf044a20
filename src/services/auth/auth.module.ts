import { Module } from '@nestjs/common';
import { ApiKeysService } from './api-keys.service.js';
import { CampaignResolver } from './campaign-resolver.js';
import { InstrumentCredentialsService } from './instrument-credentials.service.js';

const SERVICES = [ApiKeysService, InstrumentCredentialsService, CampaignResolver];

/** API keys, instruments' MQTT credentials and the campaign a request is about (the guard's inputs). */
@Module({ providers: SERVICES, exports: SERVICES })
export class AuthModule {}
