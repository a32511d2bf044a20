import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type EntityMetadata } from 'typeorm';

/**
 * A transaction: repository methods take it as their last argument so that what they write
 * commits (or rolls back) together. Outside src/repositories it is an opaque handle.
 */
export type Tx = EntityManager;

/** Base of every repository: the data source, and the manager of a transaction when one is given. */
export abstract class Repository {
  constructor(@Inject(DataSource) protected readonly dataSource: DataSource) {}

  protected m(tx?: Tx): EntityManager {
    return tx ?? this.dataSource.manager;
  }
}

/** Transactions and locks that span repositories. */
@Injectable()
export class Database extends Repository {
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  /** Serialise work across replicas until the transaction ends (a PostgreSQL advisory lock). */
  async lockForTransaction(tx: Tx, name: string): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [name]);
  }

  /**
   * Hold a session-level advisory lock while `work` runs, waiting at most `lockTimeout` for it
   * (a PostgreSQL interval such as '15min'); the lock is released whatever `work` does.
   */
  async whileLocked<T>(name: string, lockTimeout: string, work: () => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.query(`SELECT set_config('lock_timeout', $1, false)`, [lockTimeout]);
      await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [name]);
      try {
        return await work();
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [name]);
        await runner.query(`RESET lock_timeout`);
      }
    } finally {
      await runner.release();
    }
  }

  /** The tables' metadata (the API document's entity schemas are built from it). */
  entityMetadata(): readonly EntityMetadata[] {
    return this.dataSource.entityMetadatas;
  }

  /** Whether PostgreSQL answers now. */
  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
