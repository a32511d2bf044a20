import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { AuthenticatedRequest } from './auth.guard.js';
import { ApiOperation, ApiTags, ApiOkResponse, ApiNotFoundResponse, ApiBadRequestResponse } from '@nestjs/swagger';
import { Invalid } from '../common/errors.js';
import { InstrumentEntity } from '../repositories/entities/instrument.entity.js';
import { InstrumentsService } from '../services/lab/instruments.service.js';
import { arrayOf, entityWith } from './openapi.js';

/** A job as the instrument views list it (a subset of the instrument_job row). */
const JOB_SUMMARY = {
  type: 'object',
  properties: {
    jobId: { type: 'string', format: 'uuid' },
    experimentId: { type: 'string', format: 'uuid' },
    campaignId: { type: 'string', format: 'uuid' },
    attempt: { type: 'integer' },
    status: { type: 'string' },
    dispatchedAt: { type: 'string', format: 'date-time' },
    deadline: { type: 'string', format: 'date-time' },
    lastEvent: { type: 'object', nullable: true },
    finishedAt: { type: 'string', format: 'date-time', nullable: true },
  },
};

@ApiTags('instruments')
@Controller('api/v1/instruments')
export class InstrumentsController {
  constructor(@Inject(InstrumentsService) private readonly instruments: InstrumentsService) {}

  @Get()
  @ApiOperation({ summary: 'Instrument registry (from retained status and last wills) with the jobs each holds' })
  @ApiOkResponse({ schema: arrayOf(entityWith(InstrumentEntity, { openJobs: arrayOf(JOB_SUMMARY) })) })
  list(@Req() req: AuthenticatedRequest) {
    return this.instruments.list(campaignFilter(req));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One instrument with its recent jobs' })
  @ApiOkResponse({ schema: entityWith(InstrumentEntity, { jobs: arrayOf(JOB_SUMMARY) }) })
  @ApiNotFoundResponse()
  @ApiBadRequestResponse({ description: 'not an instrument id' })
  get(@Param('id') id: string, @Req() req: AuthenticatedRequest) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Invalid('instrument ids are 1-64 of [A-Za-z0-9_-]');
    return this.instruments.get(id, campaignFilter(req));
  }
}

/**
 * The registry is lab-wide, but the jobs on it are campaign data: a key limited to campaigns sees
 * the jobs (and their experiment ids) of its own campaigns only.
 */
function campaignFilter(req: AuthenticatedRequest): (campaignId: string) => boolean {
  const ids = req.apiKey?.campaignIds;
  return ids === null || ids === undefined ? () => true : (campaignId) => ids.includes(campaignId.toLowerCase());
}
