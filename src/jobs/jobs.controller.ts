import { Controller, Get, Inject, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags, ApiOkResponse, ApiNotFoundResponse } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { DataSource } from 'typeorm';
import { NotFound } from '../common/errors.js';
import { PageQuery } from '../common/pagination.js';
import { BackgroundJobEntity, JOB_STATES } from './background-job.entity.js';
import { entityRef, pageOf } from '../common/openapi.js';

class JobListQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  campaignId?: string;
  @ApiPropertyOptional({ enum: JOB_STATES }) @IsOptional() @IsIn(JOB_STATES as unknown as string[])
  state?: string;
}

@ApiTags('jobs')
@Controller('api/v1/jobs')
export class JobsController {
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Background jobs (training, design iterations) with state, progress and errors; newest first' })
  @ApiOkResponse({ schema: pageOf(entityRef(BackgroundJobEntity)) })
  async list(@Query() query: JobListQuery) {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const [items, total] = await this.dataSource.getRepository(BackgroundJobEntity).findAndCount({
      where: { ...(query.campaignId ? { campaignId: query.campaignId } : {}), ...(query.state ? { state: query.state as never } : {}) },
      order: { createdAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items, total, limit, offset };
  }

  @Get(':id')
  @ApiOperation({ summary: 'One background job: state, progress, attempts, error, result' })
  @ApiOkResponse({ schema: entityRef(BackgroundJobEntity) })
  @ApiNotFoundResponse()
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const job = await this.dataSource.getRepository(BackgroundJobEntity).findOneBy({ id });
    if (!job) throw new NotFound('job', id);
    return job;
  }
}
