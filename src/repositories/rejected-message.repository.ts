import { Injectable } from '@nestjs/common';
import { RejectedMessageEntity } from './entities/rejected-message.entity.js';
import { Repository } from './database.js';

/** The rejected-message store: anything that failed validation, verbatim with its reason. */
@Injectable()
export class RejectedMessageRepository extends Repository {
  private get repo() {
    return this.dataSource.getRepository(RejectedMessageEntity);
  }

  save(values: Partial<RejectedMessageEntity>): Promise<RejectedMessageEntity> {
    return this.repo.save(values);
  }

  async insertMany(rows: Partial<RejectedMessageEntity>[]): Promise<void> {
    await this.repo.insert(rows);
  }

  findById(id: string): Promise<RejectedMessageEntity | null> {
    return this.repo.findOneBy({ id });
  }

  async update(id: string, values: Partial<RejectedMessageEntity>): Promise<void> {
    await this.repo.update({ id }, values);
  }

  async page(filter: { status?: string; channel?: string; campaignId?: string }, limit: number, offset: number) {
    const [items, total] = await this.repo.findAndCount({
      where: {
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.channel ? { channel: filter.channel } : {}),
        ...(filter.campaignId ? { campaignId: filter.campaignId } : {}),
      },
      order: { receivedAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items, total, limit, offset };
  }
}
