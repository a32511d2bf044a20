import { Inject, Injectable } from '@nestjs/common';
import { AuditRepository, type AuditEntry } from '../../repositories/audit.repository.js';
import type { Tx } from '../../repositories/database.js';

export type { AuditEntry };

@Injectable()
export class AuditService {
  constructor(@Inject(AuditRepository) private readonly repo: AuditRepository) {}

  /** Record inside the caller's transaction when given, so the change and its trail commit together. */
  record(entry: AuditEntry, tx?: Tx): Promise<void> {
    return this.repo.insert(entry, tx);
  }

  list(filter: { entityType?: string; entityId?: string; campaignId?: string }, limit = 200, offset = 0) {
    return this.repo.page(filter, limit, offset);
  }
}
