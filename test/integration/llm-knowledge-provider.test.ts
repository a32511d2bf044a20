/**
 * The LLM knowledge provider through the real openai SDK against a real OpenAI-compatible HTTP
 * server on loopback (node:http): good answers, malformed JSON, slow answers (timeout), the
 * fall-back to the rule-based provider, and the cache of scores and feature choices.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAiKnowledgeClient } from '../../adapters/llm/openai-knowledge-client.js';
import { FEATURE_PROMPT_VERSION, InMemoryKnowledgeCache, LlmKnowledgeProvider, PROMPT_VERSION } from '../../src/core/knowledge/llm-provider.js';
import { startLoopbackLlm, type LoopbackAnswer, type LoopbackLlm } from '../support/loopback-llm.js';

type Mode = 'good' | 'malformed' | 'slow' | 'out-of-range' | 'features' | 'error500';

let server: LoopbackLlm;
let baseURL: string;
let mode: Mode = 'good';
let requests: LoopbackLlm['requests'];

function answer(): LoopbackAnswer {
  const content = (value: unknown) => ({ content: JSON.stringify(value) });
  switch (mode) {
    case 'good':
      return content({ score: 0.7, rules: ['sizeMismatch', 'negativeMixing'], explanation: 'delta above 12 % and strongly negative mixing' });
    case 'out-of-range':
      return content({ score: 3, rules: [], explanation: 'too enthusiastic' });
    case 'malformed':
      return { content: '{"score": 0.5, "explanation": "unterminated' };
    case 'features':
      return content({ features: ['omega', 'notADescriptor', 'vec'], rationale: 'omega balances entropy and enthalpy' });
    case 'error500':
      return { status: 500 };
    case 'slow':
      return { pending: (send) => setTimeout(() => send(JSON.stringify({ score: 0.9, rules: [], explanation: 'late' })), 2_000) };
  }
}

beforeAll(async () => {
  server = await startLoopbackLlm(answer);
  baseURL = server.baseURL;
  requests = server.requests;
});

afterAll(async () => {
  await server.close();
});

function provider(extra: { timeoutMs?: number } = {}) {
  const logs: string[] = [];
  const cache = new InMemoryKnowledgeCache();
  const p = new LlmKnowledgeProvider({
    client: new OpenAiKnowledgeClient({ baseURL, model: 'test-model', apiKey: 'sk-local' }),
    cache,
    knownAlloys: [{ composition: { Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 }, isGlass: true, yieldStrengthMPa: 1700, elongationPct: 2 }],
    config: { timeoutMs: extra.timeoutMs ?? 5_000, minIntervalMs: 0 },
    log: (l) => logs.push(l),
  });
  return { p, cache, logs };
}

const candidate = {
  composition: { Zr: 41.2, Ti: 13.8, Cu: 12.5, Ni: 10, Be: 22.5 },
  prediction: { pGlass: 0.93, yieldMean: 1850, yieldStd: 60, elongationMean: 4, elongationStd: 1 },
};

describe('LLM knowledge provider over the openai SDK (loopback server)', () => {
  it('scores with a valid answer, sends rules, similar alloys and predictions, and caches by (composition, prompt, model)', async () => {
    mode = 'good';
    requests.length = 0;
    const { p, cache } = provider();
    const [s] = await p.score([candidate]);
    expect(s).toMatchObject({ score: 0.7, source: 'llm', rules: ['sizeMismatch', 'negativeMixing'] });
    expect(requests).toHaveLength(1);
    const { body, auth } = requests[0];
    expect(auth).toBe('Bearer sk-local');
    expect(body.model).toBe('test-model');
    expect(body.response_format).toEqual({ type: 'json_object' });
    const system = body.messages[0].content as string;
    const user = body.messages[1].content as string;
    expect(system).toMatch(/sizeMismatch/);
    expect(user).toMatch(/Al7\.50Cu17\.50Ni10\.00Zr65\.00/); // similar known alloy
    expect(user).toMatch(/1850 \+- 60 MPa/);
    // second call: from the cache, no request
    const [again] = await p.score([candidate]);
    expect(again).toMatchObject({ score: 0.7, source: 'cache' });
    expect(requests).toHaveLength(1);
    expect(await cache.get({ subject: 'Be22.50Cu12.50Ni10.00Ti13.80Zr41.20', promptVersion: PROMPT_VERSION, model: 'test-model' })).not.toBeNull();
  });

  it('falls back to the rules on malformed JSON (logged, not cached)', async () => {
    mode = 'malformed';
    const { p, cache, logs } = provider();
    const [s] = await p.score([candidate]);
    expect(s.source).toBe('rules');
    expect(s.explanation).toMatch(/LLM unavailable \(malformed JSON/);
    expect(s.rules).toContain('multicomponent');
    expect(logs.join('\n')).toMatch(/using the rule-based provider/);
    expect(cache.size).toBe(0);
    expect(p.failures).toBe(1);
  });

  it('falls back on an answer outside [-1, 1] and on an HTTP 500', async () => {
    mode = 'out-of-range';
    const { p } = provider();
    expect((await p.score([candidate]))[0].explanation).toMatch(/invalid answer: score/);
    mode = 'error500';
    expect((await p.score([candidate]))[0].source).toBe('rules');
  });

  it('times out a slow answer and falls back', async () => {
    mode = 'slow';
    const { p } = provider({ timeoutMs: 300 });
    const t0 = Date.now();
    const [s] = await p.score([candidate]);
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(s.source).toBe('rules');
    expect(s.explanation).toMatch(/LLM unavailable/);
  });

  it('selects AMR features: keeps only valid candidates; falls back to the offline ranking', async () => {
    mode = 'features';
    const { p } = provider();
    const sel = await p.selectFeatures({ candidates: ['delta', 'omega', 'vec', 'dChi'], current: ['delta'], maxFeatures: 3 });
    expect(sel).toMatchObject({ features: ['omega', 'vec'], source: 'llm' });
    mode = 'malformed';
    const fb = await p.selectFeatures({ candidates: ['delta', 'omega', 'vec', 'dChi'], current: ['delta'], maxFeatures: 2 });
    expect(fb.source).toBe('rules');
    expect(fb.features).toHaveLength(2);
    expect(fb.rationale).toMatch(/LLM unavailable/);
  });

  it('caches a feature choice by the whole question: the same question is asked once, another one again; failures are not cached', async () => {
    mode = 'features';
    requests.length = 0;
    const { p, cache } = provider();
    const req = { candidates: ['delta', 'omega', 'vec', 'dChi'], current: ['delta'], maxFeatures: 3, reason: 'low-correlation: corr(Q, reward) = 0.100, relative std = 0.200' };
    expect(await p.selectFeatures(req)).toEqual({ features: ['omega', 'vec'], rationale: 'omega balances entropy and enthalpy', source: 'llm' });
    expect(await p.selectFeatures(req)).toEqual({ features: ['omega', 'vec'], rationale: 'omega balances entropy and enthalpy', source: 'cache' });
    expect(requests).toHaveLength(1);
    expect(cache.size).toBe(1);
    const asked = requests[0].user;
    expect(await cache.get({ subject: asked, promptVersion: FEATURE_PROMPT_VERSION, model: 'test-model' })).toMatchObject({ features: ['omega', 'vec'] });
    // other trigger figures: another question
    expect((await p.selectFeatures({ ...req, reason: 'low-correlation: corr(Q, reward) = 0.050, relative std = 0.200' })).source).toBe('llm');
    expect(requests).toHaveLength(2);
    mode = 'malformed';
    expect((await p.selectFeatures({ ...req, current: ['vec'] })).source).toBe('rules');
    expect(cache.size).toBe(2);
  });
});
