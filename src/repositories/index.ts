/** The repositories, for code that builds services without Nest (CLI scripts, benchmarks). */
export { ApiKeyRepository, InstrumentCredentialRepository } from './api-key.repository.js';
export { AuditRepository } from './audit.repository.js';
export { BrokerServiceLoginRepository } from './broker-login.repository.js';
export { CampaignRepository } from './campaign.repository.js';
export { Database } from './database.js';
export { ExperimentRepository } from './experiment.repository.js';
export { InstrumentRepository } from './instrument.repository.js';
export { JobRepository } from './job.repository.js';
export { MeasurementRepository } from './measurement.repository.js';
export { ModelRepository, RefinementRepository } from './model.repository.js';
export { RejectedMessageRepository } from './rejected-message.repository.js';
