import { Injectable } from '@nestjs/common';
import { ApiKeyEntity, InstrumentCredentialEntity } from './entities/auth.entities.js';
import { Repository, type Tx } from './database.js';

/** API keys (only their hashes). */
@Injectable()
export class ApiKeyRepository extends Repository {
  findById(id: string, tx?: Tx): Promise<ApiKeyEntity | null> {
    return this.m(tx).findOneBy(ApiKeyEntity, { id });
  }

  all(): Promise<ApiKeyEntity[]> {
    return this.dataSource.getRepository(ApiKeyEntity).find({ order: { createdAt: 'DESC', id: 'ASC' } });
  }

  count(tx?: Tx): Promise<number> {
    return this.m(tx).count(ApiKeyEntity);
  }

  save(tx: Tx, row: Partial<ApiKeyEntity>): Promise<ApiKeyEntity> {
    return tx.save(ApiKeyEntity, row as ApiKeyEntity);
  }

  async insert(tx: Tx, row: Partial<ApiKeyEntity>): Promise<void> {
    await tx.insert(ApiKeyEntity, row);
  }

  async update(id: string, changes: Partial<ApiKeyEntity>, tx?: Tx): Promise<void> {
    await this.m(tx).update(ApiKeyEntity, { id }, changes);
  }

  /** Revoke every configured key but `keepId`. */
  async revokeOtherConfigured(tx: Tx, keepId: string): Promise<void> {
    await tx.query(`UPDATE api_key SET revoked_at = now(), revoked_by = 'configuration' WHERE source = 'config' AND id <> $1 AND revoked_at IS NULL`, [keepId]);
  }

  /** Active (not revoked, not expired) admin keys other than `exceptId`. */
  async otherActiveAdmins(tx: Tx, exceptId: string): Promise<number> {
    const [{ n }] = (await tx.query(
      `SELECT count(*)::int AS n FROM api_key WHERE role = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AND id <> $1`,
      [exceptId],
    )) as { n: number }[];
    return n;
  }
}

/** Instruments' MQTT credentials (only mosquitto-format hashes). */
@Injectable()
export class InstrumentCredentialRepository extends Repository {
  find(instrumentId: string): Promise<InstrumentCredentialEntity | null> {
    return this.dataSource.getRepository(InstrumentCredentialEntity).findOneBy({ instrumentId });
  }

  all(): Promise<InstrumentCredentialEntity[]> {
    return this.dataSource.getRepository(InstrumentCredentialEntity).find({ order: { instrumentId: 'ASC' } });
  }

  /** Store new credentials in place of any before; says whether there were. */
  async replace(tx: Tx, row: Pick<InstrumentCredentialEntity, 'instrumentId' | 'passwordHash' | 'createdBy'>): Promise<{ saved: InstrumentCredentialEntity; replaced: boolean }> {
    const repo = tx.getRepository(InstrumentCredentialEntity);
    const replaced = await repo.existsBy({ instrumentId: row.instrumentId });
    await repo.delete({ instrumentId: row.instrumentId });
    const saved = await repo.save(row as InstrumentCredentialEntity);
    return { saved, replaced };
  }

  /** Delete; says whether there was anything to delete. */
  async delete(tx: Tx, instrumentId: string): Promise<boolean> {
    const result = await tx.getRepository(InstrumentCredentialEntity).delete({ instrumentId });
    return Boolean(result.affected);
  }
}
