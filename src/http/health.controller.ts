import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { HealthService } from '../services/status/health.service.js';

@ApiTags('health')
@Controller()
export class HealthController {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

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
  async report(@Res({ passthrough: true }) res: Response) {
    const report = await this.health.report();
    res.status(report.status === 'ok' ? 200 : 503);
    return report;
  }

}
