import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import { PageQuery } from '../common/pagination.js';
import { RejectedMessageEntity } from './rejected-message.entity.js';

class RejectedListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['pending', 'replayed', 'dismissed'] }) @IsOptional() @IsIn(['pending', 'replayed', 'dismissed'])
  status?: string;
  @ApiPropertyOptional({ enum: ['mqtt', 'rest', 'import'] }) @IsOptional() @IsIn(['mqtt', 'rest', 'import'])
  channel?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  campaignId?: string;
}

@ApiTags('rejected messages')
@Controller('api/v1/rejected-messages')
export class RejectedMessagesController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Everything that failed validation, verbatim with its reason (newest first)' })
  async list(@Query() query: RejectedListQuery) {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const [items, total] = await this.dataSource.getRepository(RejectedMessageEntity).findAndCount({
      where: {
        ...(query.status ? { status: query.status } : {}),
        ...(query.channel ? { channel: query.channel } : {}),
        ...(query.campaignId ? { campaignId: query.campaignId } : {}),
      },
      order: { receivedAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items, total, limit, offset };
  }
}
