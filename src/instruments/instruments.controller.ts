import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { ApiOperation, ApiTags, ApiOkResponse, ApiNotFoundResponse, ApiBadRequestResponse } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { Invalid, NotFound } from '../common/errors.js';
import { InstrumentEntity } from './instrument.entity.js';
import { arrayOf, entityWith } from '../common/openapi.js';

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
  constructor(@Inject(DataSource) private readonly dataSource: DataSource) {}

  @Get()
  @ApiOperation({ summary: 'Instrument registry (from retained status and last wills) with the jobs each holds' })
  @ApiOkResponse({ schema: arrayOf(entityWith(InstrumentEntity, { openJobs: arrayOf(JOB_SUMMARY) })) })
  async list(@Req() req: AuthenticatedRequest) {
    const visible = campaignFilter(req);
    const instruments = await this.dataSource.getRepository(InstrumentEntity).find({ order: { id: 'ASC' } });
    const open: { instrument_id: string; job_id: string; experiment_id: string; campaign_id: string; status: string; dispatched_at: Date; deadline: Date }[] =
      await this.dataSource.query(
        `SELECT instrument_id, job_id, experiment_id, campaign_id, status, dispatched_at, deadline FROM instrument_job WHERE finished_at IS NULL ORDER BY dispatched_at`,
      );
    return instruments.map((i) => ({
      ...i,
      openJobs: open.filter((j) => j.instrument_id === i.id && visible(j.campaign_id)).map((j) => ({
        jobId: j.job_id, experimentId: j.experiment_id, campaignId: j.campaign_id, status: j.status, dispatchedAt: j.dispatched_at, deadline: j.deadline,
      })),
    }));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One instrument with its recent jobs' })
  @ApiOkResponse({ schema: entityWith(InstrumentEntity, { jobs: arrayOf(JOB_SUMMARY) }) })
  @ApiNotFoundResponse()
  @ApiBadRequestResponse({ description: 'not an instrument id' })
  async get(@Param('id') id: string, @Req() req: AuthenticatedRequest) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new Invalid('instrument ids are 1-64 of [A-Za-z0-9_-]');
    const instrument = await this.dataSource.getRepository(InstrumentEntity).findOneBy({ id });
    if (!instrument) throw new NotFound('instrument', id);
    const jobs = await this.dataSource.query(
      `SELECT job_id AS "jobId", experiment_id AS "experimentId", campaign_id AS "campaignId", attempt, status, dispatched_at AS "dispatchedAt",
              deadline, last_event AS "lastEvent", finished_at AS "finishedAt"
         FROM instrument_job WHERE instrument_id = $1 ORDER BY dispatched_at DESC LIMIT 200`,
      [id],
    );
    const visible = campaignFilter(req);
    return { ...instrument, jobs: (jobs as { campaignId: string }[]).filter((j) => visible(j.campaignId)) };
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
