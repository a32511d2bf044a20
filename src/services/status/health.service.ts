import { Inject, Injectable } from '@nestjs/common';
import { Database } from '../../repositories/database.js';
import { INFRASTRUCTURE, type Infrastructure } from '../tokens.js';

/** What GET /health reports: the database, the broker and the job queue, each up or not, and this process's role. */
@Injectable()
export class HealthService {
  constructor(
    @Inject(INFRASTRUCTURE) private readonly infra: Infrastructure,
    @Inject(Database) private readonly db: Database,
  ) {}

  async report() {
    const database = await this.db
      .ping()
      .then(() => ({ ok: true, detail: this.infra.database.target }))
      .catch((e: Error) => ({ ok: false, detail: e.message }));
    const broker = { ok: this.infra.mqtt.connected, detail: this.infra.broker.url };
    const queue = await this.infra.jobs.health();
    const ok = database.ok && broker.ok && queue.ok;
    return {
      status: ok ? ('ok' as const) : ('degraded' as const),
      database: { ...database, mode: this.infra.database.mode },
      broker: { ...broker, mode: this.infra.broker.mode },
      queue: { ...queue, mode: this.infra.jobs.mode },
      knowledge: { mode: this.infra.config.knowledge.mode },
      role: this.infra.config.role,
    };
  }
}
