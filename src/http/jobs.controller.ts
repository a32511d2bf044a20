import { Controller, Get, Inject, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags, ApiOkResponse, ApiNotFoundResponse } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { PageQuery } from '../common/pagination.js';
import { BackgroundJobEntity, JOB_STATES } from '../repositories/entities/background-job.entity.js';
import { entityRef, pageOf } from './openapi.js';
import { JobsService } from '../services/status/jobs.service.js';

class JobListQuery extends PageQuery {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  campaignId?: string;
  @ApiPropertyOptional({ enum: JOB_STATES }) @IsOptional() @IsIn(JOB_STATES as unknown as string[])
  state?: string;
}

@ApiTags('jobs')
@Controller('api/v1/jobs')
export class JobsController {
  constructor(@Inject(JobsService) private readonly jobs: JobsService) {}

  @Get()
  @ApiOperation({ summary: 'Background jobs (training, design iterations) with state, progress and errors; newest first' })
  @ApiOkResponse({ schema: pageOf(entityRef(BackgroundJobEntity)) })
  list(@Query() query: JobListQuery) {
    return this.jobs.page({ campaignId: query.campaignId, state: query.state }, query.limit ?? 50, query.offset ?? 0);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One background job: state, progress, attempts, error, result' })
  @ApiOkResponse({ schema: entityRef(BackgroundJobEntity) })
  @ApiNotFoundResponse()
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.jobs.get(id);
  }
}
