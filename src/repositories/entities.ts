import { CampaignEntity } from './entities/campaign.entity.js';
import { ExperimentEntity, InstrumentJobEntity } from './entities/experiment.entity.js';
import { MeasurementEntity } from './entities/measurement.entity.js';
import { RejectedMessageEntity } from './entities/rejected-message.entity.js';
import { InstrumentEntity } from './entities/instrument.entity.js';
import { AgentCheckpointEntity, ModelVersionEntity } from './entities/model-version.entity.js';
import { RefinementEventEntity } from './entities/refinement-event.entity.js';
import { AuditEventEntity } from './entities/audit-event.entity.js';
import { BackgroundJobEntity } from './entities/background-job.entity.js';
import { KnowledgeCacheEntity } from './entities/knowledge-cache.entity.js';
import { InitialSchema1764000000000 } from '../../migrations/1764000000000-initial-schema.js';
import { ApiKeyEntity, InstrumentCredentialEntity } from './entities/auth.entities.js';
import { ApiKeys1764100000000 } from '../../migrations/1764100000000-api-keys.js';
import { MeasurementPageIndex1764200000000 } from '../../migrations/1764200000000-measurement-page-index.js';
import { IdempotencyRequests1764300000000 } from '../../migrations/1764300000000-idempotency-requests.js';
import { ObjectiveDirections1764400000000 } from '../../migrations/1764400000000-objective-directions.js';
import { ProcessValues1764500000000 } from '../../migrations/1764500000000-process-values.js';
import { BrokerServiceLogins1764610000000 } from '../../migrations/1764610000000-broker-service-logins.js';

export const ENTITIES = [
  CampaignEntity, ExperimentEntity, InstrumentJobEntity, MeasurementEntity, RejectedMessageEntity,
  InstrumentEntity, ModelVersionEntity, AgentCheckpointEntity, RefinementEventEntity, AuditEventEntity,
  BackgroundJobEntity, KnowledgeCacheEntity,
  ApiKeyEntity, InstrumentCredentialEntity,
];

/** Migrations in order; the schema changes only through these (never synchronize). */
export const MIGRATIONS = [InitialSchema1764000000000, ApiKeys1764100000000, MeasurementPageIndex1764200000000, IdempotencyRequests1764300000000, ObjectiveDirections1764400000000, ProcessValues1764500000000, BrokerServiceLogins1764610000000];
