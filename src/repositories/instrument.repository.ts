import { Injectable } from '@nestjs/common';
import { InstrumentEntity } from './entities/instrument.entity.js';
import { Repository, type Tx } from './database.js';

/** The instrument registry (fed by retained status messages and last wills). */
@Injectable()
export class InstrumentRepository extends Repository {
  findById(id: string): Promise<InstrumentEntity | null> {
    return this.dataSource.getRepository(InstrumentEntity).findOneBy({ id });
  }

  all(): Promise<InstrumentEntity[]> {
    return this.dataSource.getRepository(InstrumentEntity).find({ order: { id: 'ASC' } });
  }

  /** Instruments that can take work now (online or busy), by id. */
  available(tx?: Tx): Promise<InstrumentEntity[]> {
    return this.m(tx).getRepository(InstrumentEntity).find({ where: [{ state: 'online' }, { state: 'busy' }], order: { id: 'ASC' } });
  }

  async save(values: Partial<InstrumentEntity> & { id: string }): Promise<void> {
    await this.dataSource.getRepository(InstrumentEntity).save(values);
  }

  /** Mark every instrument offline; returns how many were not. */
  async markAllOffline(): Promise<number> {
    const [{ n }] = (await this.dataSource.query(
      `WITH stale AS (UPDATE instrument SET state = 'offline' WHERE state <> 'offline' RETURNING id) SELECT count(*)::int AS n FROM stale`,
    )) as { n: number }[];
    return n;
  }

  /** Instruments that can take work now and their free job slots in all. */
  async freeCapacity(): Promise<{ online: number; free: number }> {
    const [row] = await this.dataSource.query(
      `SELECT count(*) AS online,
              coalesce(sum(greatest(0, (i.capabilities->>'maxConcurrentJobs')::int
                 - (SELECT count(*) FROM instrument_job j WHERE j.instrument_id = i.id AND j.finished_at IS NULL))), 0) AS free
         FROM instrument i WHERE i.state IN ('online','busy')`,
    );
    return { online: Number(row.online), free: Number(row.free) };
  }
}
