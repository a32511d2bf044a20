import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../adapters/mqtt/mqtt-connection.js';
import { InstrumentTopics } from '../../adapters/mqtt/protocol.js';
import { until } from '../support/closed-loop.js';
import { api, keyHeaders, startTestApp, uniqueName, zrCampaign, type TestApp } from '../support/services.js';

/**
 * Issue 17, high: `POST /rejected-messages/{id}/replay` authorised the stored message's campaign,
 * not what the replay writes. A technician of campaign A wrote a measurement into campaign B, and
 * a PI posted instrument results and status over REST around the broker's credentials.
 */
describe('replay of rejected messages authorises what it writes', () => {
  let t: TestApp;
  let topics: InstrumentTopics;
  let campaignA: string;
  let campaignB: string;
  const jobs: Record<'a' | 'b' | 'x', string> = {} as never;
  const rigX = uniqueName('rigx').replace(/_/g, '-');
  const rigA = uniqueName('riga').replace(/_/g, '-');

  /** An experiment dispatched to an instrument (the rows the dispatcher writes), returning the job id. */
  async function dispatched(campaignId: string, sequence: number, instrumentId: string): Promise<string> {
    const db = t.infra.dataSource;
    const [e] = await db.query(
      `INSERT INTO experiment (campaign_id, sequence, batch_number, status, composition, formula, elements, instrument_id)
       VALUES ($1, $2, 1, 'dispatched', '{"Zr":60,"Cu":30,"Al":10}', 'Zr60Cu30Al10', '{Al,Cu,Zr}', $3) RETURNING id`,
      [campaignId, sequence, instrumentId],
    );
    const [j] = await db.query(
      `INSERT INTO instrument_job (experiment_id, campaign_id, instrument_id, attempt, status, stages, dispatched_at, deadline)
       VALUES ($1, $2, $3, 1, 'dispatched', '{synthesis,mechanical_test}', now(), now() + interval '1 hour') RETURNING job_id`,
      [e.id, campaignId, instrumentId],
    );
    await db.query(`UPDATE experiment SET current_job_id = $2 WHERE id = $1`, [e.id, j.job_id]);
    return j.job_id;
  }

  const result = (jobId: string, measurementId: string) => ({
    jobId, measurementId, composition: { Zr: 60, Cu: 30, Al: 10 }, phase: 'amorphous', yieldStrengthMPa: 1700, elongationPct: 3,
    measuredAt: '2026-11-25T18:30:00Z',
  });

  /** A real rejected message: instrument rigX publishes a result for a job of campaign A that went to rigA. */
  async function rejectedOfCampaignA(measurementId: string): Promise<string> {
    const client = await MqttConnection.connect({ url: t.infra.broker.url, clientId: uniqueName('pub'), clean: true });
    await client.publish(topics.results(rigX), JSON.stringify(result(jobs.a, measurementId)));
    await client.close();
    return until('rejected message', async () => {
      const items = (await api(t.baseUrl, 'GET', `/api/v1/rejected-messages?campaignId=${campaignA}&status=pending&limit=100`)).body.items as {
        id: string; payload: string;
      }[];
      return items.find((m) => m.payload.includes(measurementId))?.id;
    });
  }

  const measurementsOf = async (campaignId: string) =>
    Number((await t.infra.dataSource.query(`SELECT count(*) AS n FROM measurement WHERE campaign_id = $1`, [campaignId]))[0].n);

  beforeAll(async () => {
    t = await startTestApp();
    topics = new InstrumentTopics(t.config.mqtt.topicPrefix);
    campaignA = (await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'A' }))).body.id;
    campaignB = (await api(t.baseUrl, 'POST', '/api/v1/campaigns', zrCampaign({ name: 'B' }))).body.id;
    jobs.a = await dispatched(campaignA, 1, rigA);
    jobs.b = await dispatched(campaignB, 1, rigX);
    jobs.x = await dispatched(campaignA, 2, rigX);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('refuses a campaign-A technician writing a measurement into campaign B (403, nothing stored, message still pending)', async () => {
    const id = await rejectedOfCampaignA('m-cross');
    const tech = await keyHeaders(t.baseUrl, 'tech.a', 'technician', [campaignA]);
    const replay = await api(t.baseUrl, 'POST', `/api/v1/rejected-messages/${id}/replay`, { payload: JSON.stringify(result(jobs.b, 'm-cross')) }, tech);
    expect(replay.status).toBe(403);
    expect(replay.body.message).toMatch(/replay refused/);
    expect(await measurementsOf(campaignB)).toBe(0);
    const audit = (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${campaignB}/audit`)).body.items as { actor: string }[];
    expect(audit.some((a) => a.actor === rigX)).toBe(false);
    const [row] = await t.infra.dataSource.query(`SELECT status, replay_count FROM rejected_message WHERE id = $1`, [id]);
    expect(row).toEqual({ status: 'pending', replay_count: 0 });
    // the stored payload of its own campaign may still be replayed (it fails again: the job went to another instrument)
    const verbatim = await api(t.baseUrl, 'POST', `/api/v1/rejected-messages/${id}/replay`, {}, tech);
    expect(verbatim.status).toBe(200);
    expect(verbatim.body).toMatchObject({ ok: false, message: { status: 'pending', replayCount: 1 } });
  });

  it('refuses a PI posting instrument results or status over REST with a fixed payload', async () => {
    const id = await rejectedOfCampaignA('m-pi');
    const pi = await keyHeaders(t.baseUrl, 'pi.all', 'pi');
    const asResult = await api(t.baseUrl, 'POST', `/api/v1/rejected-messages/${id}/replay`, { payload: JSON.stringify(result(jobs.x, 'm-pi')) }, pi);
    expect(asResult.status).toBe(403);
    expect(asResult.body.message).toContain(`only instrument ${rigX}'s own key`);
    expect(await measurementsOf(campaignA)).toBe(0);
    // a status payload on a results topic is refused by the protocol; the status channel is lab-wide and also needs the instrument
    const [{ id: statusMsg }] = await t.infra.dataSource.query(
      `INSERT INTO rejected_message (channel, topic, instrument_id, payload, reason) VALUES ('mqtt', $1, $2, 'x', 'test') RETURNING id`,
      [topics.status(rigX), rigX],
    );
    const status = { state: 'online', at: new Date().toISOString(), capabilities: { stages: ['synthesis', 'mechanical_test'], elements: ['Zr', 'Cu', 'Al'], maxConcurrentJobs: 1000 } };
    const asStatus = await api(t.baseUrl, 'POST', `/api/v1/rejected-messages/${statusMsg}/replay`, { payload: JSON.stringify(status) }, pi);
    expect(asStatus.status).toBe(403);
    expect((await t.infra.dataSource.query(`SELECT count(*) AS n FROM instrument WHERE id = $1`, [rigX]))[0].n).toBe('0');
  });

  it("lets the instrument's own key replay a corrected payload for its own job, and no other instrument's key", async () => {
    const id = await rejectedOfCampaignA('m-own');
    const other = await keyHeaders(t.baseUrl, rigA, 'instrument');
    const fixedPayload = { payload: JSON.stringify(result(jobs.x, 'm-own')) };
    expect((await api(t.baseUrl, 'POST', `/api/v1/rejected-messages/${id}/replay`, fixedPayload, other)).status).toBe(403);
    const own = await keyHeaders(t.baseUrl, rigX, 'instrument');
    const replay = await api(t.baseUrl, 'POST', `/api/v1/rejected-messages/${id}/replay`, fixedPayload, own);
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ ok: true, message: { status: 'replayed' } });
    const [m] = await t.infra.dataSource.query(`SELECT campaign_id, instrument_id, external_id FROM measurement WHERE external_id = 'm-own'`);
    expect(m).toEqual({ campaign_id: campaignA, instrument_id: rigX, external_id: 'm-own' });
  });

  it('keeps a result whose measurementId is stored already with other values in the rejected store (a retransmission stays silent)', async () => {
    const client = await MqttConnection.connect({ url: t.infra.broker.url, clientId: uniqueName('pub'), clean: true });
    const original = result(await dispatched(campaignA, 4, rigX), 'm-dup');
    await client.publish(topics.results(rigX), JSON.stringify(original));
    await until('stored', async () => (await t.infra.dataSource.query(`SELECT id FROM measurement WHERE external_id = 'm-dup'`)).length === 1);
    await client.publish(topics.results(rigX), JSON.stringify(original)); // the same again: a no-op
    await client.publish(topics.results(rigX), JSON.stringify({ ...original, yieldStrengthMPa: 2500 }));
    await client.close();
    const rows = await until('conflict recorded', async () => {
      const r = await t.infra.dataSource.query(`SELECT reason, payload FROM rejected_message WHERE reason LIKE 'measurementId m-dup%'`);
      return r.length > 0 ? r : null;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await t.infra.dataSource.query(`SELECT count(*)::int AS n FROM rejected_message WHERE reason LIKE 'measurementId m-dup%'`)).toEqual([{ n: 1 }]);
    expect(rows[0].reason).toContain('is stored already');
    expect(rows[0].payload).toContain('2500');
    const stored = await t.infra.dataSource.query(`SELECT yield_strength_mpa FROM measurement WHERE external_id = 'm-dup'`);
    expect(stored.map((m: { yield_strength_mpa: unknown }) => Number(m.yield_strength_mpa))).toEqual([1700]);
  });

  it('stores one result per job: a second result with another measurementId goes to the rejected store', async () => {
    const client = await MqttConnection.connect({ url: t.infra.broker.url, clientId: uniqueName('pub'), clean: true });
    const jobY = await dispatched(campaignA, 3, rigX);
    await client.publish(topics.results(rigX), JSON.stringify(result(jobY, 'm-first')));
    await until('first stored', async () => (await t.infra.dataSource.query(`SELECT id FROM measurement WHERE job_id = $1`, [jobY])).length === 1);
    await client.publish(topics.results(rigX), JSON.stringify(result(jobY, 'm-second')));
    await client.close();
    await until('second refused', async () => (await t.infra.dataSource.query(`SELECT id FROM rejected_message WHERE reason LIKE $1`, [`job ${jobY} has its result already%`])).length === 1);
    expect((await t.infra.dataSource.query(`SELECT external_id FROM measurement WHERE job_id = $1`, [jobY])).map((m: { external_id: string }) => m.external_id)).toEqual(['m-first']);
  });
});
