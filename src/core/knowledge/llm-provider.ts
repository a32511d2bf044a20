/**
 * LLM knowledge provider (AIMatDesign's knowledge-based reward): an LLM, shown the empirical
 * glass-forming rules, the most similar known alloys and the surrogates' predictions, scores a
 * candidate in [-1, 1] and explains which rules drove the score; it also chooses descriptors for
 * AMR. The model is reached through the LlmClient port (adapters/llm implements it with the
 * openai SDK). Answers are validated (zod), cached (scores by composition, feature choices by the
 * whole question, each with the prompt version and model), rate-limited and time-limited; on any
 * failure the rule-based provider answers (logged).
 */
import { FAMILY_PROFILES, type AlloyFamily } from './families.js';
import { z } from 'zod';
import type { Composition } from '../chemistry/types.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import { compositionKey } from '../chemistry/composition.js';
import { RulesKnowledgeProvider } from './rules-provider.js';
import { FAMILY_RULES, RULES, type FeatureSelection, type FeatureSelectionRequest, type KnowledgeCandidate, type KnowledgeProvider, type KnowledgeScore } from './types.js';

/** Bump when a prompt changes: cached answers of other versions are not reused. */
export const PROMPT_VERSION = 'knowledge-score-v1';
export const FEATURE_PROMPT_VERSION = 'feature-selection-v1';

export interface LlmCompletionRequest {
  system: string;
  user: string;
  /** The client should abort when this fires (the provider also stops waiting). */
  signal: AbortSignal;
  timeoutMs: number;
}

/** Port to a chat model that answers with a JSON object (as text). */
export interface LlmClient {
  readonly model: string;
  complete(request: LlmCompletionRequest): Promise<string>;
}

export interface KnowledgeCacheKey {
  /**
   * What was asked: for a score, the canonical composition text (elements sorted, at.% to 2
   * decimals); for a feature choice, the whole question (the prompt's user message).
   */
  subject: string;
  promptVersion: string;
  model: string;
}

/** An LLM answer as cached: a score, or a feature choice. */
export type CachedAnswer = KnowledgeScore | FeatureSelection;

/** Where LLM answers are kept (the service backs this with PostgreSQL). */
export interface KnowledgeCache {
  get(key: KnowledgeCacheKey): Promise<CachedAnswer | null>;
  set(key: KnowledgeCacheKey, value: CachedAnswer): Promise<void>;
}

export class InMemoryKnowledgeCache implements KnowledgeCache {
  private readonly map = new Map<string, CachedAnswer>();
  private static id(k: KnowledgeCacheKey): string {
    return `${k.promptVersion}\u0000${k.model}\u0000${k.subject}`;
  }
  get size(): number {
    return this.map.size;
  }
  async get(key: KnowledgeCacheKey): Promise<CachedAnswer | null> {
    return this.map.get(InMemoryKnowledgeCache.id(key)) ?? null;
  }
  async set(key: KnowledgeCacheKey, value: CachedAnswer): Promise<void> {
    this.map.set(InMemoryKnowledgeCache.id(key), value);
  }
}

export interface LlmProviderConfig {
  /** Per-request time limit. */
  timeoutMs: number;
  /** Minimum time between two request starts (rate limit). */
  minIntervalMs: number;
  /** Similar known alloys shown in the prompt. */
  similarAlloys: number;
}

export const DEFAULT_LLM_PROVIDER_CONFIG: LlmProviderConfig = { timeoutMs: 20_000, minIntervalMs: 250, similarAlloys: 5 };

const ScoreAnswer = z.object({
  score: z.number().min(-1).max(1),
  rules: z.array(z.string()).default([]),
  explanation: z.string().min(1),
});

const FeatureAnswer = z.object({
  features: z.array(z.string()).min(1).max(3),
  rationale: z.string().min(1),
});

export class LlmKnowledgeProvider implements KnowledgeProvider {
  readonly name: string;
  readonly config: LlmProviderConfig;
  private readonly client: LlmClient;
  private readonly cache: KnowledgeCache;
  private readonly fallback: RulesKnowledgeProvider;
  private readonly known: MeasuredAlloy[];
  private readonly log: (line: string) => void;
  private nextSlot = 0;
  /** Failures that fell back to the rules (for monitoring and tests). */
  failures = 0;

  constructor(opts: {
    client: LlmClient;
    cache?: KnowledgeCache;
    fallback?: RulesKnowledgeProvider;
    knownAlloys?: readonly MeasuredAlloy[];
    config?: Partial<LlmProviderConfig>;
    log?: (line: string) => void;
  }) {
    this.client = opts.client;
    this.name = `llm:${opts.client.model}`;
    this.cache = opts.cache ?? new InMemoryKnowledgeCache();
    this.known = [...(opts.knownAlloys ?? [])];
    this.fallback = opts.fallback ?? new RulesKnowledgeProvider({ knownGlasses: this.known.filter((a) => a.isGlass).map((a) => a.composition) });
    this.config = { ...DEFAULT_LLM_PROVIDER_CONFIG, ...opts.config };
    this.log = opts.log ?? (() => {});
  }

  async score(candidates: readonly KnowledgeCandidate[]): Promise<KnowledgeScore[]> {
    const out: KnowledgeScore[] = [];
    for (const cand of candidates) out.push(await this.scoreOne(cand));
    return out;
  }

  private async scoreOne(cand: KnowledgeCandidate): Promise<KnowledgeScore> {
    const key: KnowledgeCacheKey = { subject: compositionKey(cand.composition), promptVersion: promptVersionOf(this.fallback.family), model: this.client.model };
    const cached = await this.cached(key, ScoreAnswer);
    if (cached) return { ...cached, source: 'cache' };
    try {
      const text = await this.ask(scoreSystem(this.fallback.family), this.scorePrompt(cand));
      const answer = ScoreAnswer.parse(parseJsonObject(text));
      const result: KnowledgeScore = { score: answer.score, rules: answer.rules, explanation: answer.explanation, source: 'llm' };
      await this.remember(key, result);
      return result;
    } catch (err) {
      this.failures++;
      const reason = describeError(err);
      this.log(`LLM knowledge score failed for ${key.subject} (${reason}); using the rule-based provider`);
      const [rules] = await this.fallback.score([cand]);
      return { ...rules, explanation: `LLM unavailable (${reason}); rules: ${rules.explanation}` };
    }
  }

  async selectFeatures(req: FeatureSelectionRequest): Promise<FeatureSelection> {
    // The offline ranking is computed first: it goes into the prompt and is the fall-back.
    const offline = await this.fallback.selectFeatures(req);
    const question = featurePrompt(req, offline);
    // The same question (same trigger figures, features and ranking: a re-run with the same seed and data) is asked once.
    const key: KnowledgeCacheKey = { subject: question, promptVersion: FEATURE_PROMPT_VERSION, model: this.client.model };
    const cached = await this.cached(key, FeatureAnswer);
    if (cached) return { ...cached, source: 'cache' };
    try {
      const text = await this.ask(FEATURE_SYSTEM, question);
      const answer = FeatureAnswer.parse(parseJsonObject(text));
      const valid = answer.features.filter((f) => req.candidates.includes(f) && !req.current.includes(f));
      if (valid.length === 0) throw new Error(`no valid descriptor among ${answer.features.join(', ')}`);
      const result: FeatureSelection = { features: valid.slice(0, Math.min(3, req.maxFeatures)), rationale: answer.rationale, source: 'llm' };
      await this.remember(key, result);
      return result;
    } catch (err) {
      this.failures++;
      const reason = describeError(err);
      this.log(`LLM feature selection failed (${reason}); using the offline ranking`);
      return { ...offline, rationale: `LLM unavailable (${reason}); ${offline.rationale}` };
    }
  }

  /** The cached answer to `key`, if there is one of the expected shape (a failed read is a miss). */
  private async cached<S extends z.ZodType>(key: KnowledgeCacheKey, shape: S): Promise<z.output<S> | null> {
    try {
      const hit = await this.cache.get(key);
      if (!hit) return null;
      const parsed = shape.safeParse(hit);
      if (parsed.success) return parsed.data;
      this.log(`knowledge cache entry (${key.promptVersion}) is not a valid answer: asking again`);
    } catch (err) {
      this.log(`knowledge cache read failed: ${(err as Error).message}`);
    }
    return null;
  }

  private async remember(key: KnowledgeCacheKey, answer: CachedAnswer): Promise<void> {
    await this.cache.set(key, answer).catch((err: Error) => this.log(`knowledge cache write failed: ${err.message}`));
  }

  /** One rate-limited, time-limited request. */
  private async ask(system: string, user: string): Promise<string> {
    const now = Date.now();
    const start = Math.max(now, this.nextSlot);
    this.nextSlot = start + this.config.minIntervalMs;
    if (start > now) await new Promise((r) => setTimeout(r, start - now));
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new Error(`timed out after ${this.config.timeoutMs} ms`));
      }, this.config.timeoutMs);
    });
    try {
      return await Promise.race([this.client.complete({ system, user, signal: controller.signal, timeoutMs: this.config.timeoutMs }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private similar(c: Composition): MeasuredAlloy[] {
    const dist = (a: Composition) => {
      let s = 0;
      for (const el of new Set([...Object.keys(a), ...Object.keys(c)])) s += Math.abs((a[el] ?? 0) - (c[el] ?? 0));
      return s;
    };
    return [...this.known].sort((a, b) => dist(a.composition) - dist(b.composition)).slice(0, this.config.similarAlloys);
  }

  private scorePrompt(cand: KnowledgeCandidate): string {
    const lines = [`Candidate: ${compositionKey(cand.composition)} (at.%)`];
    if (cand.prediction) {
      const p = cand.prediction;
      lines.push(
        `Surrogate predictions: P(glass) ${p.pGlass.toFixed(2)}, yield strength ${p.yieldMean.toFixed(0)} +- ${p.yieldStd.toFixed(0)} MPa, elongation ${p.elongationMean.toFixed(1)} +- ${p.elongationStd.toFixed(1)} %`,
      );
    }
    const sim = this.similar(cand.composition);
    if (sim.length) {
      lines.push('Most similar known alloys:');
      for (const a of sim) {
        lines.push(
          `- ${compositionKey(a.composition)}: glass ${a.isGlass === null ? 'unknown' : a.isGlass ? 'yes' : 'no'}, yield ${a.yieldStrengthMPa ?? 'n/a'} MPa, elongation ${a.elongationPct ?? 'n/a'} %`,
        );
      }
    }
    const rules = this.fallbackHint(cand);
    lines.push(`Rule-based pre-assessment: ${rules}`);
    lines.push('Answer with a JSON object {"score": number in [-1, 1], "rules": [rule ids that drove the score], "explanation": string}.');
    return lines.join('\n');
  }

  private fallbackHint(cand: KnowledgeCandidate): string {
    const elements = Object.keys(cand.composition).filter((el) => cand.composition[el] > 0);
    return this.fallback.scoreFractions(elements.map((el) => cand.composition[el]), elements).explanation;
  }
}

/** The family's prompt version (zr-bmg keeps the original one: its cached answers stay valid). */
export function promptVersionOf(family: AlloyFamily): string {
  return family === 'zr-bmg' ? PROMPT_VERSION : `${PROMPT_VERSION}-${family}`;
}

/** The scoring system prompt of an alloy family: its expert and its rules (families.ts, types.ts FAMILY_RULES). */
export function scoreSystem(family: AlloyFamily): string {
  const rules = FAMILY_RULES[family].map((id) => `- ${id}: ${RULES[id]}`).join('\n');
  const scale = family === 'zr-bmg' ? '-1 = certainly no glass or poor properties' : '-1 = certainly intermetallic, brittle or weak';
  return `${FAMILY_PROFILES[family].expert}
${rules}
Score in [-1, 1]: ${scale}, 0 = no opinion, 1 = very promising.
Name the rule ids you used. Reply with one JSON object only.`;
}

const FEATURE_SYSTEM = `You are a materials informatics expert. The surrogate models that guide a reinforcement learning agent
have become unreliable where the agent explores. Choose 1 to 3 physical descriptors, from the candidates given, that
should be added to the models' features to capture glass formation and mechanical properties better.
Reply with one JSON object only: {"features": [descriptor names], "rationale": string}.`;

function featurePrompt(req: FeatureSelectionRequest, offline: FeatureSelection): string {
  return [
    `Trigger: ${req.reason ?? 'model refinement'}`,
    `Features in use: ${req.current.join(', ') || 'none'}`,
    `Candidate descriptors: ${req.candidates.filter((c) => !req.current.includes(c)).join(', ')}`,
    `Offline ranking on recent rollouts: ${offline.rationale}`,
    `Choose at most ${Math.min(3, req.maxFeatures)}.`,
  ].join('\n');
}

/** The JSON object in a model's answer (tolerates a ```json fence). */
function parseJsonObject(text: string): unknown {
  const trimmed = text.trim().replace(/^```(?:json)?\s*/i, '').replace(/```\s*$/, '');
  return JSON.parse(trimmed);
}

function describeError(err: unknown): string {
  if (err instanceof z.ZodError) return `invalid answer: ${err.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`;
  if (err instanceof SyntaxError) return `malformed JSON: ${err.message}`;
  return (err as Error)?.message ?? String(err);
}
