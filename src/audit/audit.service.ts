import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { AuditEventEntity } from './audit-event.entity.js';

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

@Injectable()
export class AuditService {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  /** Record inside the caller's transaction when given, so the change and its trail commit together. */
  async record(entry: AuditEntry, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.insert(AuditEventEntity, {
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

  async list(filter: { entityType?: string; entityId?: string; campaignId?: string }, limit = 200, offset = 0) {
    const [items, total] = await this.dataSource.getRepository(AuditEventEntity).findAndCount({
      where: { ...filter },
      order: { id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items, total, limit, offset };
  }
}
