/**
 * Batch proposals from a trained policy: roll the policy (plus a little noise, for variety) out
 * from several start states, collect the classified compositions it visits, keep the legal ones
 * on the campaign's step grid that are neither measured nor pending, rank them by predicted
 * success (and a small uncertainty bonus), and pick a diverse batch (minimum composition distance
 * from each other and from pending experiments).
 *
 * With a trust region (src/core/aimatdesign/trust-region.ts) the rollouts start near the best measured
 * alloys, compositions sampled in the region join the candidates, and the batch takes all but
 * the exploration share from inside the region (filling from the other side when one runs short).
 *
 * With process variables the states carry them (design-space.ts stateDim): a proposal is a
 * composition with process values; measured and pending compositions are not proposed again
 * under any process.
 */
import type { Composition } from '../chemistry/types.js';
import type { DesignSpace } from '../domain/design-space.js';
import type { KnowledgeProvider } from '../knowledge/types.js';
import type { ProcessValues } from '../domain/process.js';
import { compositionPart, processOfState, roundStateToGrid, withRandomProcess } from '../domain/state.js';
import { gridKey, roundToGrid, toComposition, toFractions, usesOnlyElements } from '../domain/composition-grid.js';
import { isLegal } from '../domain/design-space.js';
import { VirtualLab, type EnvConfig } from '../rl/environment.js';
import type { Td3Agent } from '../rl/td3.js';
import type { Objective } from '../domain/objectives.js';
import type { SinglePrediction, Surrogates } from '../domain/predictions.js';
import { predictionAt, singleProperty, singlePropertyStd } from '../domain/predictions.js';
import { probabilityMet, targetScale } from '../domain/objectives.js';
import { DEFAULT_STRATEGY } from '../domain/strategy.js';
import type { Random } from '../util/random.js';
import type { LocalEvidence } from './local-evidence.js';
import { distanceToAnchors, sampleInRegion, type ActiveTrustRegion } from './trust-region.js';

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
  minDistance: DEFAULT_STRATEGY.minProposalDistance,
  uncertaintyWeight: 0.1,
  knowledgeWeight: 0.05,
};

export interface Proposal {
  /** at.%, on the campaign's grid. */
  composition: Composition;
  /** The process values to make it with (campaigns with process variables). */
  process?: ProcessValues;
  pGlass: number;
  yieldStrengthMPa: { mean: number; std: number };
  elongationPct: { mean: number; std: number };
  /**
   * P(glass) x prod_k P(target_k met) under a normal predictive distribution, each factor blended
   * with the lab's answers nearby when the iteration has local evidence.
   */
  successProbability: number;
  /** Other modelled properties (the campaign's objectives beyond yield and elongation). */
  properties?: Record<string, { mean: number; std: number }>;
  knowledge: { score: number; explanation: string; source: string } | null;
  /** Ranking score used to order the batch. */
  rank: number;
}

/** The model's probability of each factor of success: [glass, then each objective's P(target met)] (domain/objectives.ts probabilityMet). */
export function successFactors(p: SinglePrediction, objectives: readonly Objective[]): number[] {
  return [p.pGlass, ...objectives.map((o) => probabilityMet(o, singleProperty(p, o.property), singlePropertyStd(p, o.property)))];
}

export function successProbability(p: SinglePrediction, objectives: readonly Objective[]): number {
  return successFactors(p, objectives).reduce((a, b) => a * b, 1);
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
  /** Compositions proposed before (any state): excluded like measured ones. */
  proposed?: readonly Composition[];
  knowledge?: KnowledgeProvider | null;
  config?: Partial<ProposalConfig>;
  env?: Partial<EnvConfig>;
  trustRegion?: ActiveTrustRegion | null;
  /** The lab's answers near each candidate, blended into its success probability (null = the model's alone). */
  evidence?: LocalEvidence | null;
}): Promise<Proposal[]> {
  const cfg = { ...DEFAULT_PROPOSAL_CONFIG, ...opts.config };
  const { space, objectives, surrogates, rng } = opts;
  const exclude = new Set<string>();
  for (const c of [...opts.measured, ...(opts.pending ?? []), ...(opts.proposed ?? [])]) {
    if (usesOnlyElements(c, space.elements)) exclude.add(gridKey(roundToGrid(toFractions(c, space.elements), space.step), space.step));
  }
  const pending = (opts.pending ?? []).filter((c) => usesOnlyElements(c, space.elements)).map((c) => toFractions(c, space.elements));
  const measuredStarts = opts.measured.filter((c) => usesOnlyElements(c, space.elements)).map((c) => toFractions(c, space.elements));
  const region = opts.trustRegion && opts.trustRegion.anchors.length ? opts.trustRegion : null;
  const regionRng = rng.fork();
  const lab = new VirtualLab({
    space,
    objectives,
    surrogates,
    rng: rng.fork(),
    measuredStarts,
    regionStarts: region ? { share: 1 - region.explorationShare, sample: () => sampleInRegion(region.anchors, region.radius, space, regionRng) } : undefined,
    config: { ...opts.env, numEnvs: cfg.rollouts, reward: { ...opts.env?.reward, noveltyBonus: 0 } as EnvConfig['reward'] },
  });
  lab.reset();
  const K = lab.dim;
  const compositionKey = (g: Float64Array) => gridKey(compositionPart(g, space), space.step);
  // Roll out and collect classified states (rounded to the grid, deduplicated).
  const candidates = new Map<string, Float64Array>();
  for (let t = 0; t < cfg.rolloutSteps; t++) {
    const u = opts.agent ? opts.agent.act(lab.states) : lab.states.map(() => Float64Array.from({ length: K }, () => rng.uniform(-1, 1)));
    if (opts.agent && cfg.noise > 0) for (const row of u) for (let k = 0; k < K; k++) row[k] = Math.max(-1, Math.min(1, row[k] + rng.normal(0, cfg.noise)));
    const res = await lab.step(u);
    res.outcomes.forEach((o, i) => {
      if (!o.classified) return;
      const g = roundStateToGrid(res.nextStates[i], space);
      const key = gridKey(g, space.step);
      if (!exclude.has(compositionKey(g)) && !candidates.has(key) && isLegal(g, space)) candidates.set(key, g);
    });
  }
  if (region) {
    // Compositions sampled in the region, kept when the classifier calls them glass (as the rollouts' are).
    const sampled: Float64Array[] = [];
    for (let i = 0; i < cfg.rollouts * 4; i++) {
      const g = sampleInRegion(region.anchors, region.radius, space, regionRng);
      if (g && !exclude.has(gridKey(g, space.step))) sampled.push(withRandomProcess(g, space, regionRng));
    }
    if (sampled.length) {
      const p = surrogates.predictFractions(sampled);
      sampled.forEach((g, i) => {
        if (p.pGlass[i] >= 0.5) candidates.set(gridKey(g, space.step), g);
      });
    }
  }
  // Not within the minimum distance of a pending experiment (the lab is already making one like it).
  const states = [...candidates.values()].filter((x) => pending.every((q) => l1Distance(q, x) >= cfg.minDistance));
  if (states.length === 0) return [];
  const pred = surrogates.predictFractions(states);
  const scored = states.map((x, i) => {
    const p = predictionAt(pred, i);
    const factors = successFactors(p, objectives);
    const success = (opts.evidence ? opts.evidence.blend(x, factors) : factors).reduce((a, b) => a * b, 1);
    const unc = objectives.reduce((s, o) => s + singlePropertyStd(p, o.property) / targetScale(o), 0) / Math.max(1, objectives.length);
    const inside = region ? distanceToAnchors(compositionPart(x, space), region.anchors) <= region.radius : true;
    return { x, p, success, inside, rank: success + cfg.uncertaintyWeight * unc };
  });
  scored.sort((a, b) => b.rank - a.rank);
  // Knowledge scores for the best few (of each side of the region), then greedy diverse selection.
  const n = Math.max(cfg.batchSize * 8, 32);
  const shortlist = region ? [...scored.filter((c) => c.inside).slice(0, n), ...scored.filter((c) => !c.inside).slice(0, n)] : scored.slice(0, n);
  let knowledge: { score: number; explanation: string; source: string }[] | null = null;
  if (opts.knowledge) {
    knowledge = await opts.knowledge.score(shortlist.map((s) => ({ composition: toComposition(s.x, space.elements), prediction: s.p })));
    shortlist.forEach((s, i) => (s.rank += cfg.knowledgeWeight * knowledge![i].score));
  }
  const order = shortlist.map((s, i) => ({ s, i })).sort((a, b) => b.s.rank - a.s.rank);
  const picked: typeof order = [];
  const pick = (pool: typeof order, upTo: number) => {
    for (const o of pool) {
      if (picked.length >= upTo) break;
      if (!picked.includes(o) && picked.every((q) => l1Distance(q.s.x, o.s.x) >= cfg.minDistance)) picked.push(o);
    }
  };
  if (region) {
    const inside = order.filter((o) => o.s.inside);
    const outside = order.filter((o) => !o.s.inside);
    const explore = Math.round(region.explorationShare * cfg.batchSize);
    pick(inside, cfg.batchSize - explore);
    pick(outside, cfg.batchSize);
    pick(inside, cfg.batchSize);
  } else {
    pick(order, cfg.batchSize);
  }
  picked.sort((a, b) => b.s.rank - a.s.rank);
  return picked.map(({ s, i }) => ({
    composition: toComposition(s.x, space.elements, 4),
    ...(space.process?.length ? { process: processOfState(s.x, space) } : {}),
    pGlass: s.p.pGlass,
    yieldStrengthMPa: { mean: s.p.yieldMean, std: s.p.yieldStd },
    elongationPct: { mean: s.p.elongationMean, std: s.p.elongationStd },
    successProbability: s.success,
    ...(s.p.others ? { properties: s.p.others } : {}),
    knowledge: knowledge ? { score: knowledge[i].score, explanation: knowledge[i].explanation, source: knowledge[i].source } : null,
    rank: s.rank,
  }));
}
