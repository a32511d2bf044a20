/**
 * Offline, rule-based knowledge provider: needs nothing external. Scores candidates from the
 * empirical glass-forming rules (RULES) on the chemistry descriptors; selects AMR features by
 * permutation importance of a small ridge fit on the recent rollouts.
 */
import { Matrix, solve } from 'ml-matrix';
import { makeFeaturizer, type Featurizer } from '../chemistry/descriptors.js';
import type { Composition } from '../chemistry/types.js';
import { Random } from '../util/random.js';
import type { AlloyFamily } from './families.js';
import { RULES, type FeatureSelection, type FeatureSelectionRequest, type KnowledgeCandidate, type KnowledgeProvider, type KnowledgeScore, type RuleId } from './types.js';

export interface RulesProviderConfig {
  /** Weights of the rule contributions (sum of positives ~1, so scores stay in [-1, 1]). */
  multicomponent: number;
  sizeMismatch: number;
  negativeMixing: number;
  etmLtmBalance: number;
  nearKnownGlass: number;
  /** L1 distance (at.%) within which closeness to a known glass earns credit. */
  nearDistance: number;
}

export const DEFAULT_RULES_CONFIG: RulesProviderConfig = {
  multicomponent: 0.2,
  sizeMismatch: 0.25,
  negativeMixing: 0.25,
  etmLtmBalance: 0.15,
  nearKnownGlass: 0.15,
  nearDistance: 15,
};

const RULE_FEATURES = ['nElements', 'delta', 'dHmix', 'negPairFraction', 'earlyTmFraction', 'lateTmFraction'] as const;
const HEA_RULE_FEATURES = ['nElements', 'delta', 'dHmix', 'vec', 'omega'] as const;

interface Contribution {
  rule: RuleId;
  value: number;
  text: string;
}

export class RulesKnowledgeProvider implements KnowledgeProvider {
  readonly name = 'rules';
  readonly config: RulesProviderConfig;
  private readonly known: Composition[];
  private featurizers = new Map<string, Featurizer>();

  /** The alloy family whose rules score (families.ts): Inoue's glass-forming rules or the HEA solid-solution rules. */
  readonly family: AlloyFamily;

  /**
   * `knownGlasses`: known good alloys (a zr-bmg campaign's glass formers; an hea campaign's
   * alloys that meet its objectives), credited by closeness.
   */
  constructor(opts: { knownGlasses?: readonly Composition[]; config?: Partial<RulesProviderConfig>; family?: AlloyFamily } = {}) {
    this.config = { ...DEFAULT_RULES_CONFIG, ...opts.config };
    this.known = (opts.knownGlasses ?? []).map(normalizeTo100);
    this.family = opts.family ?? 'zr-bmg';
  }

  private featurizer(elements: readonly string[]): Featurizer {
    const key = elements.join(',');
    let f = this.featurizers.get(key);
    if (!f) {
      f = makeFeaturizer(this.family === 'hea' ? HEA_RULE_FEATURES : RULE_FEATURES, elements);
      this.featurizers.set(key, f);
    }
    return f;
  }

  /** Fast path for the training loop: fraction vector over `elements`. */
  scoreFractions(x: ArrayLike<number>, elements: readonly string[]): KnowledgeScore {
    const d = this.featurizer(elements)(x);
    const c: Composition = {};
    let total = 0;
    for (let i = 0; i < elements.length; i++) total += x[i];
    for (let i = 0; i < elements.length; i++) if (x[i] > 0) c[elements[i]] = (100 * x[i]) / total;
    return this.fromDescriptors(d, c);
  }

  /** Score only (no explanation strings), for the per-step reward. */
  scoreValue(x: ArrayLike<number>, elements: readonly string[]): number {
    return this.scoreFractions(x, elements).score;
  }

  async score(candidates: readonly KnowledgeCandidate[]): Promise<KnowledgeScore[]> {
    return candidates.map((cand) => {
      const elements = Object.keys(cand.composition).filter((el) => cand.composition[el] > 0);
      return this.scoreFractions(elements.map((el) => cand.composition[el]), elements);
    });
  }

  private fromDescriptors(d: Float64Array, c: Composition): KnowledgeScore {
    return this.family === 'hea' ? this.heaScore(d, c) : this.glassScore(d, c);
  }

  /** High-entropy alloys: a ductile, strong solid solution (HEA_RULES in types.ts). */
  private heaScore(d: Float64Array, c: Composition): KnowledgeScore {
    const [n, delta, dH, vec, omega] = d;
    const w = this.config;
    const parts: Contribution[] = [];
    const principal = Object.values(c).filter((v) => v >= 5 && v <= 35).length;
    if (n >= 4 && principal >= 4) parts.push({ rule: 'multiPrincipal', value: w.multicomponent, text: `${principal} principal elements of ${n}` });
    else parts.push({ rule: 'multiPrincipal', value: -w.multicomponent, text: `${principal} principal elements (5-35 at.%) of ${n}` });
    if (omega >= 1.1 && delta <= 6.6) parts.push({ rule: 'solidSolution', value: w.sizeMismatch, text: `Omega ${omega.toFixed(2)}, delta ${delta.toFixed(1)} %` });
    else if (delta > 8) parts.push({ rule: 'solidSolution', value: -w.sizeMismatch, text: `delta ${delta.toFixed(1)} % > 8 %: intermetallics likely` });
    if (dH >= -15 && dH <= 5) parts.push({ rule: 'hmixWindow', value: w.negativeMixing, text: `dHmix ${dH.toFixed(1)} kJ/mol` });
    else parts.push({ rule: 'hmixWindow', value: -w.negativeMixing, text: `dHmix ${dH.toFixed(1)} kJ/mol outside [-15, 5]` });
    if (vec >= 6.87 && vec < 8) parts.push({ rule: 'vecPhase', value: w.etmLtmBalance, text: `VEC ${vec.toFixed(2)}: FCC + BCC` });
    else if (vec >= 8) parts.push({ rule: 'vecPhase', value: 0.5 * w.etmLtmBalance, text: `VEC ${vec.toFixed(2)}: FCC (ductile, softer)` });
    else parts.push({ rule: 'vecPhase', value: -0.5 * w.etmLtmBalance, text: `VEC ${vec.toFixed(2)}: BCC (brittle)` });
    this.nearKnown(parts, c, 'nearKnownAlloy', 'a known alloy meeting the objectives');
    return this.summarise(parts);
  }

  private nearKnown(parts: Contribution[], c: Composition, rule: RuleId, what: string): void {
    const w = this.config;
    if (!this.known.length) return;
    let best = Infinity;
    for (const k of this.known) best = Math.min(best, l1(c, k));
    if (best < w.nearDistance) parts.push({ rule, value: w.nearKnownGlass * (1 - best / w.nearDistance), text: `L1 ${best.toFixed(1)} at.% from ${what}` });
  }

  private summarise(parts: Contribution[]): KnowledgeScore {
    const score = Math.max(-1, Math.min(1, parts.reduce((s, p) => s + p.value, 0)));
    const fired = parts.filter((p) => p.value !== 0);
    return {
      score,
      rules: fired.map((p) => p.rule),
      explanation: fired.map((p) => `${p.value > 0 ? '+' : ''}${p.value.toFixed(2)} ${p.rule} (${p.text}): ${RULES[p.rule]}`).join('; '),
      source: 'rules',
    };
  }

  /** Zr-based glasses: Inoue's glass-forming rules. */
  private glassScore(d: Float64Array, c: Composition): KnowledgeScore {
    const [n, delta, dH, negPairs, etm, ltm] = d;
    const w = this.config;
    const parts: Contribution[] = [];
    if (n >= 3) parts.push({ rule: 'multicomponent', value: n >= 4 ? w.multicomponent : 0.75 * w.multicomponent, text: `${n} elements` });
    else parts.push({ rule: 'multicomponent', value: -2 * w.multicomponent, text: `only ${n} elements` });
    if (delta >= 12) parts.push({ rule: 'sizeMismatch', value: w.sizeMismatch, text: `delta ${delta.toFixed(1)} % > 12 %` });
    else if (delta >= 8) parts.push({ rule: 'sizeMismatch', value: (w.sizeMismatch * (delta - 8)) / 4, text: `delta ${delta.toFixed(1)} % (partial, < 12 %)` });
    else if (delta < 6) parts.push({ rule: 'sizeMismatch', value: -w.sizeMismatch, text: `delta ${delta.toFixed(1)} % < 6 %` });
    if (dH <= -20 && negPairs >= 0.6) parts.push({ rule: 'negativeMixing', value: w.negativeMixing, text: `dHmix ${dH.toFixed(1)} kJ/mol, ${(100 * negPairs).toFixed(0)} % attractive pairs` });
    else if (dH < 0) parts.push({ rule: 'negativeMixing', value: 0.4 * w.negativeMixing, text: `dHmix ${dH.toFixed(1)} kJ/mol (weakly negative)` });
    else parts.push({ rule: 'negativeMixing', value: -1.5 * w.negativeMixing, text: `dHmix ${dH.toFixed(1)} kJ/mol >= 0` });
    if (etm >= 0.4 && etm <= 0.75 && ltm >= 0.15 && ltm <= 0.45) parts.push({ rule: 'etmLtmBalance', value: w.etmLtmBalance, text: `ETM ${(100 * etm).toFixed(0)} %, LTM ${(100 * ltm).toFixed(0)} %` });
    else if (ltm === 0) parts.push({ rule: 'etmLtmBalance', value: -w.etmLtmBalance, text: 'no late transition metal' });
    this.nearKnown(parts, c, 'nearKnownGlass', 'a known glass');
    return this.summarise(parts);
  }

  /**
   * Offline feature choice: fit ridge regression of the target on the standardised candidate
   * descriptors of the recent rollouts, rank the candidates not used yet by permutation
   * importance (increase of MSE when the column is shuffled), keep the top ones.
   */
  async selectFeatures(req: FeatureSelectionRequest): Promise<FeatureSelection> {
    const pool = req.candidates.filter((f) => !req.current.includes(f));
    const k = Math.max(1, Math.min(3, req.maxFeatures, pool.length));
    if (!req.rows || !req.target || req.rows.length < 10) {
      return { features: pool.slice(0, k), rationale: 'too few rollout samples for an importance ranking; first unused candidates', source: 'rules' };
    }
    const importance = permutationImportance(req.rows, req.target, new Random(req.rows.length));
    const ranked = pool
      .map((f) => ({ f, imp: importance[req.candidates.indexOf(f)] ?? 0 }))
      .sort((a, b) => b.imp - a.imp)
      .slice(0, k);
    return {
      features: ranked.map((r) => r.f),
      rationale: `permutation importance on ${req.rows.length} recent rollout states: ${ranked.map((r) => `${r.f} ${r.imp.toExponential(2)}`).join(', ')}`,
      source: 'rules',
    };
  }
}

function normalizeTo100(c: Composition): Composition {
  const t = Object.values(c).reduce((a, b) => a + b, 0) || 1;
  return Object.fromEntries(Object.entries(c).map(([el, v]) => [el, (100 * v) / t]));
}

function l1(a: Composition, b: Composition): number {
  let s = 0;
  for (const el of new Set([...Object.keys(a), ...Object.keys(b)])) s += Math.abs((a[el] ?? 0) - (b[el] ?? 0));
  return s;
}

/** Permutation importance of each column for a ridge fit (standardised columns). */
export function permutationImportance(rows: readonly (readonly number[])[], target: readonly number[], rng: Random, lambda = 1e-2): number[] {
  const n = rows.length;
  const p = rows[0].length;
  const mean = new Array(p).fill(0);
  const sd = new Array(p).fill(0);
  for (const r of rows) r.forEach((v, j) => (mean[j] += v / n));
  for (const r of rows) r.forEach((v, j) => (sd[j] += (v - mean[j]) ** 2 / n));
  const Z = rows.map((r) => r.map((v, j) => (sd[j] > 0 ? (v - mean[j]) / Math.sqrt(sd[j]) : 0)));
  const yMean = target.reduce((a, b) => a + b, 0) / n;
  const X = new Matrix(Z);
  const XtX = X.transpose().mmul(X).add(Matrix.eye(p).mul(lambda * n));
  const Xty = X.transpose().mmul(Matrix.columnVector(target.map((v) => v - yMean)));
  const beta = solve(XtX, Xty).getColumn(0);
  const mse = (cols: number[][]) => cols.reduce((s, r, i) => s + (r.reduce((a, v, j) => a + v * beta[j], 0) - (target[i] - yMean)) ** 2, 0) / n;
  const base = mse(Z);
  const out: number[] = [];
  for (let j = 0; j < p; j++) {
    const perm = rng.shuffle(Z.map((r) => r[j]));
    out.push(mse(Z.map((r, i) => r.map((v, jj) => (jj === j ? perm[i] : v)))) - base);
  }
  return out;
}
