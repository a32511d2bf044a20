/**
 * Batch proposals from a trained policy: roll the policy (plus a little noise, for variety) out
 * from several start states, collect the classified compositions it visits, keep the legal ones
 * on the campaign's step grid that are neither measured nor pending, rank them by predicted
 * success (and a small uncertainty bonus), and pick a diverse batch (minimum composition distance).
 */
import type { Composition, DesignSpace } from '../chemistry/types.js';
import type { KnowledgeProvider } from '../knowledge/types.js';
import { gridKey, isLegal, roundToGrid, toComposition, toFractions, usesOnlyElements } from '../rl/design-space.js';
import { VirtualLab, type EnvConfig } from '../rl/environment.js';
import type { Td3Agent } from '../rl/td3.js';
import type { Objective, SinglePrediction, Surrogates } from '../rl/types.js';
import { predictionAt, singleProperty } from '../rl/types.js';
import type { Random } from '../util/random.js';
import { normalCdf } from '../util/normal.js';

export interface ProposalConfig {
  /** Proposals to return. */
  batchSize: number;
  /** Parallel rollouts (start states) and their length. */
  rollouts: number;
  rolloutSteps: number;
  /** Gaussian noise added to the policy's actions during proposal rollouts. */
  noise: number;
  /** Minimum L1 distance (at.%) between two proposals. */
  minDistance: number;
  /** Weight of the uncertainty bonus (mean std / threshold) in the ranking. */
  uncertaintyWeight: number;
  /** Weight of the knowledge score in the ranking (0 = report only). */
  knowledgeWeight: number;
}

export const DEFAULT_PROPOSAL_CONFIG: ProposalConfig = {
  batchSize: 8,
  rollouts: 64,
  rolloutSteps: 64,
  noise: 0.1,
  minDistance: 2,
  uncertaintyWeight: 0.1,
  knowledgeWeight: 0.05,
};

export interface Proposal {
  /** at.%, on the campaign's grid. */
  composition: Composition;
  pGlass: number;
  yieldStrengthMPa: { mean: number; std: number };
  elongationPct: { mean: number; std: number };
  /** P(glass) x prod_k P(property_k >= threshold_k) under a normal predictive distribution. */
  successProbability: number;
  knowledge: { score: number; explanation: string; source: string } | null;
  /** Ranking score used to order the batch. */
  rank: number;
}

export function successProbability(p: SinglePrediction, objectives: readonly Objective[]): number {
  let prob = p.pGlass;
  for (const o of objectives) {
    const mean = singleProperty(p, o.property);
    const std = o.property === 'yieldStrengthMPa' ? p.yieldStd : p.elongationStd;
    prob *= std > 0 ? normalCdf((mean - o.threshold) / std) : mean >= o.threshold ? 1 : 0;
  }
  return prob;
}

function l1Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]) * 100;
  return s;
}

export async function proposeBatch(opts: {
  space: DesignSpace;
  objectives: readonly Objective[];
  surrogates: Surrogates;
  agent: Td3Agent | null;
  rng: Random;
  measured: readonly Composition[];
  pending?: readonly Composition[];
  knowledge?: KnowledgeProvider | null;
  config?: Partial<ProposalConfig>;
  env?: Partial<EnvConfig>;
}): Promise<Proposal[]> {
  const cfg = { ...DEFAULT_PROPOSAL_CONFIG, ...opts.config };
  const { space, objectives, surrogates, rng } = opts;
  const K = space.elements.length;
  const exclude = new Set<string>();
  for (const c of [...opts.measured, ...(opts.pending ?? [])]) {
    if (usesOnlyElements(c, space.elements)) exclude.add(gridKey(roundToGrid(toFractions(c, space.elements), space.step), space.step));
  }
  const measuredStarts = opts.measured.filter((c) => usesOnlyElements(c, space.elements)).map((c) => toFractions(c, space.elements));
  const lab = new VirtualLab({
    space,
    objectives,
    surrogates,
    rng: rng.fork(),
    measuredStarts,
    config: { ...opts.env, numEnvs: cfg.rollouts, reward: { ...opts.env?.reward, noveltyBonus: 0 } as EnvConfig['reward'] },
  });
  lab.reset();
  // Roll out and collect classified states (rounded to the grid, deduplicated).
  const candidates = new Map<string, Float64Array>();
  for (let t = 0; t < cfg.rolloutSteps; t++) {
    const u = opts.agent ? opts.agent.act(lab.states) : lab.states.map(() => Float64Array.from({ length: K }, () => rng.uniform(-1, 1)));
    if (opts.agent && cfg.noise > 0) for (const row of u) for (let k = 0; k < K; k++) row[k] = Math.max(-1, Math.min(1, row[k] + rng.normal(0, cfg.noise)));
    const res = await lab.step(u);
    res.outcomes.forEach((o, i) => {
      if (!o.classified) return;
      const g = roundToGrid(res.nextStates[i], space.step);
      const key = gridKey(g, space.step);
      if (!exclude.has(key) && !candidates.has(key) && isLegal(g, space)) candidates.set(key, g);
    });
  }
  const states = [...candidates.values()];
  if (states.length === 0) return [];
  const pred = surrogates.predictFractions(states);
  const scored = states.map((x, i) => {
    const p = predictionAt(pred, i);
    const success = successProbability(p, objectives);
    const unc = objectives.reduce((s, o) => s + (o.property === 'yieldStrengthMPa' ? p.yieldStd : p.elongationStd) / o.threshold, 0) / Math.max(1, objectives.length);
    return { x, p, success, rank: success + cfg.uncertaintyWeight * unc };
  });
  scored.sort((a, b) => b.rank - a.rank);
  // Knowledge scores for the best few, then greedy diverse selection.
  const shortlist = scored.slice(0, Math.max(cfg.batchSize * 8, 32));
  let knowledge: { score: number; explanation: string; source: string }[] | null = null;
  if (opts.knowledge) {
    knowledge = await opts.knowledge.score(shortlist.map((s) => ({ composition: toComposition(s.x, space.elements), prediction: s.p })));
    shortlist.forEach((s, i) => (s.rank += cfg.knowledgeWeight * knowledge![i].score));
  }
  const order = shortlist.map((s, i) => ({ s, i })).sort((a, b) => b.s.rank - a.s.rank);
  const picked: typeof order = [];
  for (const o of order) {
    if (picked.length >= cfg.batchSize) break;
    if (picked.every((q) => l1Distance(q.s.x, o.s.x) >= cfg.minDistance)) picked.push(o);
  }
  return picked.map(({ s, i }) => ({
    composition: toComposition(s.x, space.elements, 4),
    pGlass: s.p.pGlass,
    yieldStrengthMPa: { mean: s.p.yieldMean, std: s.p.yieldStd },
    elongationPct: { mean: s.p.elongationMean, std: s.p.elongationStd },
    successProbability: s.success,
    knowledge: knowledge ? { score: knowledge[i].score, explanation: knowledge[i].explanation, source: knowledge[i].source } : null,
    rank: s.rank,
  }));
}
