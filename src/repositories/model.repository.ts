import { Injectable } from '@nestjs/common';
import { AgentCheckpointEntity, ModelVersionEntity } from './entities/model-version.entity.js';
import { RefinementEventEntity } from './entities/refinement-event.entity.js';
import { Repository, type Tx } from './database.js';

/** Trained surrogate model versions and agent checkpoints of a campaign. */
@Injectable()
export class ModelRepository extends Repository {
  /** The active surrogates' version (without the artifact), or undefined before the first. */
  async activeSurrogates(campaignId: string, tx?: Tx): Promise<{ id: string; version: number; features: string[] } | undefined> {
    const [row] = await this.m(tx).query(
      `SELECT id, version, features FROM model_version WHERE campaign_id = $1 AND is_active AND kind = 'surrogates' ORDER BY version DESC LIMIT 1`,
      [campaignId],
    );
    return row;
  }

  async artifact(id: string, tx?: Tx): Promise<unknown> {
    const [{ artifact }] = await this.m(tx).query(`SELECT artifact FROM model_version WHERE id = $1`, [id]);
    return artifact;
  }

  /** The newest active model version of any kind. */
  latestActive(campaignId: string): Promise<ModelVersionEntity | null> {
    return this.dataSource.getRepository(ModelVersionEntity).findOne({ where: { campaignId, isActive: true }, order: { version: 'DESC' } });
  }

  latestAgent(campaignId: string): Promise<AgentCheckpointEntity | null> {
    return this.dataSource.getRepository(AgentCheckpointEntity).findOne({ where: { campaignId }, order: { iteration: 'DESC' } });
  }

  /** Store a new version of its kind as the active one (the previous active one is kept, inactive). */
  async saveActiveVersion(tx: Tx, values: Partial<ModelVersionEntity> & { campaignId: string; kind: string }): Promise<ModelVersionEntity> {
    const [{ next }] = await tx.query(`SELECT coalesce(max(version), 0) + 1 AS next FROM model_version WHERE campaign_id = $1 AND kind = $2`, [values.campaignId, values.kind]);
    await tx.update(ModelVersionEntity, { campaignId: values.campaignId, kind: values.kind, isActive: true }, { isActive: false });
    return tx.save(tx.create(ModelVersionEntity, { ...values, version: Number(next), isActive: true }));
  }

  saveAgent(tx: Tx, values: Partial<AgentCheckpointEntity>): Promise<AgentCheckpointEntity> {
    return tx.save(tx.create(AgentCheckpointEntity, values));
  }
}

/** Automatic Model Refinement events, accepted or not. */
@Injectable()
export class RefinementRepository extends Repository {
  save(tx: Tx, values: Partial<RefinementEventEntity>): Promise<RefinementEventEntity> {
    return tx.save(tx.create(RefinementEventEntity, values));
  }
}
