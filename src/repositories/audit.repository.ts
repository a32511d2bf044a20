import { Injectable } from '@nestjs/common';
import { AuditEventEntity } from './entities/audit-event.entity.js';
import { Repository, type Tx } from './database.js';

export interface AuditEntry {
  entityType: string;
  entityId: string;
  campaignId?: string | null;
  action: string;
  fromState?: string | null;
  toState?: string | null;
  cause?: string | null;
  actor: string;
  details?: Record<string, unknown>;
}

/** The audit trail: appended to inside the writer's transaction, read in id order. */
@Injectable()
export class AuditRepository extends Repository {
  async insert(entry: AuditEntry, tx?: Tx): Promise<void> {
    await this.m(tx).insert(AuditEventEntity, {
      entityType: entry.entityType,
      entityId: entry.entityId,
      campaignId: entry.campaignId ?? null,
      action: entry.action,
      fromState: entry.fromState ?? null,
      toState: entry.toState ?? null,
      cause: entry.cause ?? null,
      actor: entry.actor,
      details: (entry.details ?? {}) as object,
    });
  }

  /** Many experiments' transitions to `measured` in one statement (the instrument result hot path). */
  async insertMeasured(tx: Tx, rows: { id: string; campaignId: string; from: string; cause: string; actor: string }[]): Promise<void> {
    await tx.query(
      `INSERT INTO audit_event (entity_type, entity_id, campaign_id, action, from_state, to_state, cause, actor)
       SELECT 'experiment', x.id::text, x.campaign_id, 'transition', x.from_state, 'measured', x.cause, x.actor
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[]) AS x(id, campaign_id, from_state, cause, actor)`,
      [rows.map((r) => r.id), rows.map((r) => r.campaignId), rows.map((r) => r.from), rows.map((r) => r.cause), rows.map((r) => r.actor)],
    );
  }

  async page(filter: { entityType?: string; entityId?: string; campaignId?: string }, limit: number, offset: number) {
    const [items, total] = await this.dataSource.getRepository(AuditEventEntity).findAndCount({
      where: { ...filter },
      order: { id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items, total, limit, offset };
  }
}
