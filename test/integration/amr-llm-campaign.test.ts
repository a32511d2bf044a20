/**
 * AMR's LLM path in a real campaign: the whole service on the real servers (PostgreSQL, Mosquitto)
 * with OPENAI_BASE_URL on a real OpenAI-compatible HTTP server on loopback, an AIMatDesign campaign
 * against a virtual instrument. The LLM scores candidates (knowledge reward, proposal ranking) and
 * chooses AMR's descriptors; its choice is stored as the campaign's refinement event. A second
 * campaign with identical inputs asks the identical questions: the PostgreSQL knowledge cache
 * answers them all, and the loopback server hears nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INITIAL_DESCRIPTORS } from '../../src/services/design/aimatdesign-strategy.js';
import { DEMO_DESIGN_SPACE } from '../../simulators/oracle.js';
import { VirtualInstrument } from '../../simulators/virtual-instrument.js';
import { demoCampaign, oracle, seedRows, until } from '../support/closed-loop.js';
import { startLoopbackLlm, type LoopbackLlm, type LoopbackRequest } from '../support/loopback-llm.js';
import { api, startTestApp, uniqueName, type TestApp } from '../support/services.js';

const MODEL = 'loopback-expert';
/** The knowledge score the LLM gives every candidate (the rules would give each its own). */
const SCORE = { score: 0.42, rules: ['multicomponent', 'etmLtmBalance'], explanation: 'loopback expert: four elements, ETM and LTM balanced' };
const rationale = (feature: string) => `loopback expert: ${feature} captures what the surrogates miss`;

/** The surrogates' features before AMR: the campaign's element fractions and the initial descriptors. */
const FEATURES_BEFORE = [...DEMO_DESIGN_SPACE.elements.map((el) => `frac:${el}`), ...INITIAL_DESCRIPTORS];

const isFeatureRequest = (r: LoopbackRequest) => /^Candidate descriptors: /m.test(r.user);
/** The LLM's choice: the last candidate it is offered, alone (the offline ranking takes the three most important). */
function choice(r: LoopbackRequest): string {
  const listed = /^Candidate descriptors: (.+)$/m.exec(r.user)![1].split(', ');
  return listed[listed.length - 1];
}

/**
 * 16 episodes of 16 steps (4 vector steps of 64 environments): AMR checks after the warm-up and
 * after the last step. A correlation threshold of 1 makes its rollout check fire at the first
 * check whose window is full (the critic's Q never follows the reward perfectly); one refinement
 * per run. Budget = batch: one design iteration per campaign.
 */
const CAMPAIGN = {
  budget: 4,
  batchSize: 4,
  seed: 5,
  strategy: { method: 'aimatdesign', episodesPerIteration: 16, refreshEpisodes: 4, stepsPerEpisode: 16, knowledgeProvider: 'llm', amrCorrelationThreshold: 1 },
};

type Experiment = { formula: string; prediction: Record<string, unknown> };

describe('AMR with an LLM in a real campaign (loopback OpenAI-compatible server, PostgreSQL knowledge cache)', () => {
  let t: TestApp;
  let llm: LoopbackLlm;
  let rig: VirtualInstrument;
  const first: { id?: string; chosen?: string; refinement?: Record<string, unknown>; experiments?: Experiment[] } = {};

  beforeAll(async () => {
    llm = await startLoopbackLlm((r) => ({
      content: JSON.stringify(isFeatureRequest(r) ? { features: [choice(r)], rationale: rationale(choice(r)) } : SCORE),
    }));
    t = await startTestApp({ env: { OPENAI_BASE_URL: llm.baseURL, OPENAI_MODEL: MODEL, OPENAI_API_KEY: 'sk-loopback' } });
    const instrumentId = uniqueName('amr-rig');
    rig = new VirtualInstrument({
      url: t.infra.broker.url, instrumentId, oracle, seed: 1, prefix: t.config.mqtt.topicPrefix, speed: 2_000_000, maxConcurrentJobs: 4, clientId: uniqueName('amr-rig'),
    });
    await rig.start();
    await until('instrument online', async () => (await api(t.baseUrl, 'GET', `/api/v1/instruments/${instrumentId}`)).body.state === 'online');
  });
  afterAll(async () => {
    await rig?.stop();
    await t?.close();
    await llm?.close();
  });

  /** Create, seed, start and wait for the campaign to complete (one design iteration, four results). */
  async function runCampaign(name: string): Promise<string> {
    const { status, body: c } = await api(t.baseUrl, 'POST', '/api/v1/campaigns', demoCampaign({ name, ...CAMPAIGN }));
    expect(status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/measurements/import`, seedRows(20))).status).toBe(201);
    expect((await api(t.baseUrl, 'POST', `/api/v1/campaigns/${c.id}/start`)).status).toBe(200);
    await until(`campaign ${name} completed`, async () => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${c.id}`)).body.status === 'completed', 150_000);
    return c.id;
  }
  const progress = async (id: string) => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/progress`)).body;
  const experiments = async (id: string): Promise<Experiment[]> => (await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/experiments?limit=100`)).body.items;
  const cacheRows = async (): Promise<Array<{ prompt_version: string; model: string; formula: string; response: Record<string, unknown> }>> =>
    t.infra.dataSource.query(`SELECT prompt_version, model, formula, response FROM knowledge_cache ORDER BY created_at, key`);

  it('stores the refinement the LLM chose, with the LLM as its source', async () => {
    const id = await runCampaign('amr with an llm');
    first.id = id;

    // The loopback server was asked once for descriptors, over the configured model and key, and scored candidates.
    const featureRequests = llm.requests.filter(isFeatureRequest);
    const scoreRequests = llm.requests.filter((r) => !isFeatureRequest(r));
    expect(featureRequests).toHaveLength(1);
    expect(scoreRequests.length).toBeGreaterThan(0);
    for (const r of llm.requests) {
      expect(r.body.model).toBe(MODEL);
      expect(r.auth).toBe('Bearer sk-loopback');
    }
    const [ask] = featureRequests;
    expect(ask.user).toMatch(/^Trigger: low-correlation: corr\(Q, reward\) = -?\d\.\d{3}, relative std = \d+\.\d{3}$/m);
    expect(ask.user).toContain(`\nFeatures in use: ${FEATURES_BEFORE.join(', ')}\n`);
    expect(ask.user).toMatch(/^Offline ranking on recent rollouts: permutation importance on \d+ recent rollout states: /m);
    const chosen = choice(ask);
    first.chosen = chosen;

    // The refinement event, through the API: the LLM's one descriptor (the offline ranking gives three), its rationale, source llm.
    const p = await progress(id);
    expect(p.refinement).toHaveLength(1);
    const [r] = p.refinement;
    expect(r).toMatchObject({
      iteration: 1,
      reason: 'low-correlation',
      provider: 'llm',
      featuresChosen: [chosen],
      rationale: rationale(chosen),
      featuresBefore: FEATURES_BEFORE,
      accepted: expect.any(Boolean),
    });
    first.refinement = r;
    // ... after the check that fired, recorded with the same figures
    const fired = p.training[0].amrChecks.filter((c: { kind: string; fired: string | null }) => c.kind === 'rollouts' && c.fired);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ fired: 'low-correlation', correlation: r.correlationBefore, skipped: null });
    // The surrogates retrained with the LLM's descriptor are a model version, active if AMR accepted them.
    const versions: Array<{ id: string; features: string[]; trigger: string; is_active: boolean }> = await t.infra.dataSource.query(
      `SELECT id, features, trigger, is_active FROM model_version WHERE campaign_id = $1 ORDER BY version`,
      [id],
    );
    expect(versions.map((v) => v.trigger).sort()).toEqual(['AMR feature re-selection', 'new data']);
    const retrained = versions.find((v) => v.trigger === 'AMR feature re-selection')!;
    expect(retrained.features).toEqual([...r.featuresBefore, chosen]);
    expect(retrained.is_active).toBe(r.accepted);
    expect(r.modelVersionId).toBe(r.accepted ? retrained.id : null);

    // The proposals were ranked with the LLM's knowledge score, and the lab measured them.
    const proposed = await experiments(id);
    expect(proposed).toHaveLength(4);
    for (const e of proposed) expect(e.prediction).toMatchObject({ knowledgeScore: SCORE.score, knowledgeExplanation: SCORE.explanation });
    expect((await api(t.baseUrl, 'GET', `/api/v1/campaigns/${id}/measurements?source=instrument`)).body.total).toBe(4);
    first.experiments = proposed;

    // Every answer is in the PostgreSQL cache once: the question of the descriptors, and each scored composition.
    const rows = await cacheRows();
    const featureRows = rows.filter((row) => row.prompt_version === 'feature-selection-v1');
    expect(featureRows).toHaveLength(1);
    expect(featureRows[0]).toMatchObject({ model: MODEL, formula: ask.user, response: { features: [chosen], rationale: rationale(chosen), source: 'llm' } });
    const scoreRows = rows.filter((row) => row.prompt_version === 'knowledge-score-v1');
    expect(scoreRows).toHaveLength(scoreRequests.length);
    expect(rows).toHaveLength(featureRows.length + scoreRows.length);
  }, 200_000);

  it('serves the identical requests of a second, identical campaign from the PostgreSQL cache', async () => {
    expect(first.refinement).toBeDefined(); // the first case ran
    const requestsBefore = llm.requests.length;
    const rowsBefore = await cacheRows();
    expect(requestsBefore).toBeGreaterThan(1);

    const id = await runCampaign('amr with an llm, again');
    expect(id).not.toBe(first.id);

    // Nothing reached the LLM, nothing new in the cache.
    expect(llm.requests).toHaveLength(requestsBefore);
    expect(await cacheRows()).toEqual(rowsBefore);
    // The same refinement, answered by the cache.
    const p = await progress(id);
    expect(p.refinement).toHaveLength(1);
    const { id: _a, createdAt: _b, modelVersionId: _c, ...again } = p.refinement[0];
    const { id: _d, createdAt: _e, modelVersionId: _f, ...before } = first.refinement!;
    expect(again).toEqual({ ...before, provider: 'cache' });
    expect(again.featuresChosen).toEqual([first.chosen]);
    // Same seed, same data, same answers: the same proposals with the same knowledge scores.
    const proposed = await experiments(id);
    expect(proposed.map((e) => [e.formula, e.prediction])).toEqual(first.experiments!.map((e) => [e.formula, e.prediction]));
  }, 200_000);
});
