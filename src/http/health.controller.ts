import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { INFRASTRUCTURE, type Infrastructure } from '../services/tokens.js';
import { Database } from '../repositories/database.js';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(
    @Inject(INFRASTRUCTURE) private readonly infra: Infrastructure,
    @Inject(Database) private readonly db: Database,
  ) {}

  @Get('health')
  @ApiOperation({ summary: 'Database, broker and queue status; 503 when any is down' })
  @ApiOkResponse({
    schema: {
      example: {
        status: 'ok',
        database: { ok: true, mode: 'embedded', detail: 'embedded PostgreSQL ...' },
        broker: { ok: true, mode: 'embedded', detail: 'mqtt://0.0.0.0:1883' },
        queue: { ok: true, mode: 'in-process', detail: 'in-process (0 queued)' },
        knowledge: { mode: 'offline' },
      },
    },
  })
  @ApiServiceUnavailableResponse({ description: 'a dependency is down; the body says which' })
  async health(@Res({ passthrough: true }) res: Response) {
    const database = await this.db
      .ping()
      .then(() => ({ ok: true, detail: this.infra.database.target }))
      .catch((e: Error) => ({ ok: false, detail: e.message }));
    const broker = { ok: this.infra.mqtt.connected, detail: this.infra.broker.url };
    const queue = await this.infra.jobs.health();
    const ok = database.ok && broker.ok && queue.ok;
    res.status(ok ? 200 : 503);
    return {
      status: ok ? 'ok' : 'degraded',
      database: { ...database, mode: this.infra.database.mode },
      broker: { ...broker, mode: this.infra.broker.mode },
      queue: { ...queue, mode: this.infra.jobs.mode },
      knowledge: { mode: this.infra.config.knowledge.mode },
      role: this.infra.config.role,
    };
  }
}
