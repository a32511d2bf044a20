import type { INestApplicationContext } from '@nestjs/common';
import { DesignLoopService } from '../services/design/design-loop.service.js';
import type { Infrastructure } from '../services/tokens.js';
import { DispatcherService } from '../services/lab/dispatcher.service.js';
import { InstrumentGatewayService } from '../services/lab/instrument-gateway.service.js';

/**
 * Start the closed loop in a built app, per role: API replicas take instrument traffic and
 * dispatch; workers take background jobs; `all` does both. After a restart this reconciles:
 * jobs left in the table run again, running campaigns get an iteration, deadlines are swept.
 */
export async function startLab(app: INestApplicationContext, infra: Infrastructure): Promise<void> {
  // Module init first: the design loop registers its job handler and its measurement hook there.
  // Before, a restart's reconcile found no handler (logged, and lost), so a campaign whose last
  // results had all arrived before the restart waited for a result that would never come.
  await app.init();
  const role = infra.config.role;
  if (role !== 'worker') {
    await app.get(InstrumentGatewayService).start();
    app.get(DispatcherService).startSweeper();
  }
  if (role !== 'api') await infra.jobs.startWorker();
  if (role !== 'worker') await app.get(DesignLoopService).reconcile();
}
