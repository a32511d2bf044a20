import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  brokerRestartScenario, duplicatesScenario, postgresOutageMidCampaignScenario, postgresRestartScenario, redisOutageScenario, serviceKillScenario, type ScenarioResult,
} from '../support/faults.js';
import { ensureBuilt } from '../support/processes.js';

/**
 * Reliability on real servers (issue 8). Every scenario starts what it breaks: its own Mosquitto,
 * Redis or PostgreSQL on a free port, or the service as a child process (dist/, built here when
 * missing or stale); the machine's own servers are never stopped. The scenarios are shared with
 * `npm run bench:faults` (test/support/faults.ts).
 */
function expectClean(r: ScenarioResult): void {
  expect(r.failures, `${r.name}: ${r.failures.join('\n')}`).toEqual([]);
  expect(r.messagesLost).toBe(0);
  expect(r.checks).toBeGreaterThan(3);
}

describe('fault tests (own Mosquitto, Redis and PostgreSQL; the service as a child process)', () => {
  beforeAll(() => ensureBuilt((m) => console.log(m)), 180_000);
  afterAll(() => undefined);

  it('broker restart mid-campaign: reconnect, resubscribe, campaign completes, nothing lost or doubled', async () => {
    expectClean(await brokerRestartScenario());
  }, 180_000);

  it('service SIGKILLed mid-campaign and restarted: campaign resumes, every published result stored once', async () => {
    expectClean(await serviceKillScenario());
  }, 180_000);

  it('PostgreSQL restart: 503 with Retry-After while down (reads may come from cache), /health says so, recovers by itself', async () => {
    expectClean(await postgresRestartScenario());
  }, 180_000);

  it('PostgreSQL outage mid-campaign: results published meanwhile are held and stored once it is back', async () => {
    expectClean(await postgresOutageMidCampaignScenario());
  }, 180_000);

  it('Redis outage: /health says the queue is down, design iterations wait, campaign completes after', async () => {
    expectClean(await redisOutageScenario());
  }, 180_000);

  it('duplicate and out-of-order messages: stored once, states consistent', async () => {
    expectClean(await duplicatesScenario());
  }, 120_000);
});
