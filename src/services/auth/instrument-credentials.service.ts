import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { isValidInstrumentId, InstrumentTopics } from '../../../adapters/mqtt/protocol.js';
import { AuditService } from '../campaigns/audit.service.js';
import { Invalid, NotFound } from '../../common/errors.js';
import type { AppConfig } from '../../config/config.js';
import { APP_CONFIG, INFRASTRUCTURE, type Infrastructure } from '../tokens.js';
import type { InstrumentCredentialEntity } from '../../repositories/entities/auth.entities.js';
import { InstrumentCredentialRepository } from '../../repositories/api-key.repository.js';
import { Database } from '../../repositories/database.js';
import type { InstrumentCredentialView, IssuedInstrumentCredentialView } from './auth.dto.js';
import { writeMosquittoFiles } from './mosquitto-files.js';
import { generatePassword, mosquittoHash, verifyMosquittoHash } from '../../common/secrets.js';

/** Look up an instrument's stored hash and check a password against it (the embedded broker's authenticate). */
export async function verifyInstrumentPassword(credentials: InstrumentCredentialRepository, instrumentId: string, password: string): Promise<boolean> {
  const row = await credentials.find(instrumentId);
  return row !== null && verifyMosquittoHash(password, row.passwordHash);
}

/**
 * MQTT credentials per instrument: issued (or replaced) and withdrawn by an admin; only a
 * mosquitto-format hash is stored. When MOSQUITTO_PASSWORD_FILE / MOSQUITTO_ACL_FILE are set the
 * files are rewritten at start and after every change (Mosquitto picks them up on SIGHUP).
 */
@Injectable()
export class InstrumentCredentialsService implements OnApplicationBootstrap {
  private readonly log = new Logger('Auth');

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(InstrumentCredentialRepository) private readonly repo: InstrumentCredentialRepository,
    @Inject(AuditService) private readonly audit: AuditService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(INFRASTRUCTURE) private readonly infra: Pick<Infrastructure, 'broker'>,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.syncMosquittoFiles();
  }

  async issue(instrumentId: string, actor: string): Promise<IssuedInstrumentCredentialView> {
    this.checkId(instrumentId);
    const password = generatePassword();
    const row = await this.db.transaction(async (m) => {
      const { saved, replaced } = await this.repo.replace(m, { instrumentId, passwordHash: mosquittoHash(password), createdBy: actor });
      await this.audit.record({ entityType: 'instrument', entityId: instrumentId, action: replaced ? 'credentials.replace' : 'credentials.issue', actor }, m);
      return { saved, replaced };
    }).then(({ saved, replaced }) => {
      if (replaced) this.dropConnections(instrumentId, 'replaced');
      return saved;
    });
    await this.syncMosquittoFiles();
    return { ...toView(row), password, topicPrefix: `${new InstrumentTopics(this.config.mqtt.topicPrefix).prefix}/instruments/${instrumentId}/` };
  }

  async get(instrumentId: string): Promise<InstrumentCredentialView> {
    this.checkId(instrumentId);
    const row = await this.repo.find(instrumentId);
    if (!row) throw new NotFound('credentials of instrument', instrumentId);
    return toView(row);
  }

  /**
   * Later logins fail, and on the embedded broker the connections open with the old credentials are
   * dropped at once (Mosquitto: they stay until it reloads its files and the client reconnects).
   */
  async withdraw(instrumentId: string, actor: string): Promise<void> {
    this.checkId(instrumentId);
    await this.db.transaction(async (m) => {
      if (!(await this.repo.delete(m, instrumentId))) throw new NotFound('credentials of instrument', instrumentId);
      await this.audit.record({ entityType: 'instrument', entityId: instrumentId, action: 'credentials.withdraw', actor }, m);
    });
    this.dropConnections(instrumentId, 'withdrawn');
    await this.syncMosquittoFiles();
  }

  private dropConnections(instrumentId: string, why: 'withdrawn' | 'replaced'): void {
    const dropped = this.infra.broker.disconnectInstrument(instrumentId);
    if (dropped > 0) this.log.log(`instrument ${instrumentId}: credentials ${why}, ${dropped} open connection(s) dropped`);
  }

  async syncMosquittoFiles(): Promise<boolean> {
    const { mosquittoPasswordFile, mosquittoAclFile } = this.config.security;
    if (!mosquittoPasswordFile && !mosquittoAclFile) return false;
    const mqtt = this.config.mqtt;
    const service = mqtt.mode === 'server' && mqtt.username && mqtt.password ? { username: mqtt.username, password: mqtt.password } : undefined;
    const instruments = await this.repo.all();
    await writeMosquittoFiles(
      { passwordFile: mosquittoPasswordFile, aclFile: mosquittoAclFile },
      { topicPrefix: mqtt.topicPrefix, service, instruments },
    );
    this.log.log(`wrote Mosquitto ${[mosquittoPasswordFile, mosquittoAclFile].filter(Boolean).join(' and ')} (${instruments.length} instruments); reload Mosquitto (SIGHUP) to apply`);
    return true;
  }

  private checkId(instrumentId: string): void {
    if (!isValidInstrumentId(instrumentId)) throw new Invalid(`invalid instrument id "${instrumentId}": expected 1-64 characters of [A-Za-z0-9_-]`);
  }
}

function toView(row: InstrumentCredentialEntity): InstrumentCredentialView {
  return { instrumentId: row.instrumentId, username: row.instrumentId, createdBy: row.createdBy, createdAt: row.createdAt.toISOString() };
}
