import { Inject, Injectable } from '@nestjs/common';
import { NotFound } from '../../common/errors.js';
import type { BackgroundJobEntity } from '../../repositories/entities/background-job.entity.js';
import { JobRepository } from '../../repositories/job.repository.js';

/** Background jobs (training, design iterations) as the API lists them. */
@Injectable()
export class JobsService {
  constructor(@Inject(JobRepository) private readonly jobs: JobRepository) {}

  page(filter: { campaignId?: string; state?: string }, limit: number, offset: number) {
    return this.jobs.page(filter, limit, offset);
  }

  async get(id: string): Promise<BackgroundJobEntity> {
    const job = await this.jobs.findById(id);
    if (!job) throw new NotFound('job', id);
    return job;
  }
}
