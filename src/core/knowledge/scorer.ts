/**
 * Turns a KnowledgeProvider into the environment's per-step KnowledgeScorer. The rule-based
 * provider is called synchronously on fraction vectors (fast). Other providers (LLM) are
 * memoised by grid composition and limited to `maxNewPerCall` new compositions per step; the
 * rest get the rules' score until the provider has answered for them.
 */
import { gridKey, toComposition } from '../domain/composition-grid.js';
import type { KnowledgeScorer } from './types.js';
import { RulesKnowledgeProvider } from './rules-provider.js';
import type { KnowledgeProvider } from './types.js';

export function makeKnowledgeScorer(
  provider: KnowledgeProvider,
  elements: readonly string[],
  opts: { gridStep: number; maxNewPerCall?: number; fallback?: RulesKnowledgeProvider },
): KnowledgeScorer {
  // Knowledge is about the composition: a state's process entries (when any) are left out.
  const composition = (x: Float64Array) => (x.length > elements.length ? x.subarray(0, elements.length) : x);
  if (provider instanceof RulesKnowledgeProvider) {
    return (states) => Float64Array.from(states, (x) => provider.scoreValue(composition(x), elements));
  }
  const fallback = opts.fallback ?? new RulesKnowledgeProvider();
  const memo = new Map<string, number>();
  const maxNew = opts.maxNewPerCall ?? 4;
  return async (states) => {
    const out = new Float64Array(states.length);
    const ask: { key: string; i: number }[] = [];
    states.forEach((x, i) => {
      const key = gridKey(composition(x), opts.gridStep);
      const hit = memo.get(key);
      if (hit !== undefined) out[i] = hit;
      else {
        out[i] = fallback.scoreValue(x, elements);
        if (ask.length < maxNew && !ask.some((a) => a.key === key)) ask.push({ key, i });
      }
    });
    if (ask.length) {
      const scores = await provider.score(ask.map((a) => ({ composition: toComposition(states[a.i], elements) })));
      ask.forEach((a, j) => {
        memo.set(a.key, scores[j].score);
        out[a.i] = scores[j].score;
      });
    }
    return out;
  };
}
