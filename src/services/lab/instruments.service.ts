import { Inject, Injectable } from '@nestjs/common';
import { NotFound } from '../../common/errors.js';
import { ExperimentRepository } from '../../repositories/experiment.repository.js';
import { InstrumentRepository } from '../../repositories/instrument.repository.js';

/** The instrument registry as the API shows it, with the jobs a caller may see. */
@Injectable()
export class InstrumentsService {
  constructor(
    @Inject(InstrumentRepository) private readonly instruments: InstrumentRepository,
    @Inject(ExperimentRepository) private readonly experiments: ExperimentRepository,
  ) {}

  /** Every instrument with its open jobs (of the campaigns `visible` lets through). */
  async list(visible: (campaignId: string) => boolean) {
    const instruments = await this.instruments.all();
    const open = await this.experiments.openJobs();
    return instruments.map((i) => ({
      ...i,
      openJobs: open.filter((j) => j.instrument_id === i.id && visible(j.campaign_id)).map((j) => ({
        jobId: j.job_id, experimentId: j.experiment_id, campaignId: j.campaign_id, status: j.status, dispatchedAt: j.dispatched_at, deadline: j.deadline,
      })),
    }));
  }

  /** One instrument with its latest 200 jobs (of the campaigns `visible` lets through). */
  async get(id: string, visible: (campaignId: string) => boolean) {
    const instrument = await this.instruments.findById(id);
    if (!instrument) throw new NotFound('instrument', id);
    const jobs = await this.experiments.jobsOfInstrument(id, 200);
    return { ...instrument, jobs: jobs.filter((j) => visible(j.campaignId)) };
  }
}
