/**
 * Knowledge-based reward (AIMatDesign): an expert (rules offline, or an LLM) scores a candidate
 * composition in [-1, 1] and says why, and chooses descriptors for Automatic Model Refinement.
 */
import type { AlloyFamily } from './families.js';
import type { Composition } from '../chemistry/types.js';
import type { SinglePrediction } from '../domain/predictions.js';

export interface KnowledgeCandidate {
  /** at.% */
  composition: Composition;
  /** Surrogate predictions for it, when known (the LLM prompt carries them). */
  prediction?: SinglePrediction;
}

export interface KnowledgeScore {
  /** In [-1, 1]: -1 = expert expects no glass / poor properties, 1 = very promising. */
  score: number;
  /** Names of the rules that fired (rule ids of RULES). */
  rules: string[];
  /** Human-readable reasoning naming the rule(s). */
  explanation: string;
  /** Who produced it: the offline rules, the LLM, or the cache of earlier LLM answers. */
  source: 'rules' | 'llm' | 'cache';
}

export interface FeatureSelectionRequest {
  /** Descriptor names the surrogates may use. */
  candidates: readonly string[];
  /** Features the surrogates use now. */
  current: readonly string[];
  /** How many to choose (1..3). */
  maxFeatures: number;
  /** Recent rollout data: candidate descriptor rows (columns = candidates) and the target to explain. */
  rows?: readonly (readonly number[])[];
  target?: readonly number[];
  /** Why refinement was triggered (goes into the LLM prompt). */
  reason?: string;
}

export interface FeatureSelection {
  /** 1..3 descriptor names from the candidates, to add to the surrogates' features. */
  features: string[];
  rationale: string;
  source: 'rules' | 'llm' | 'cache';
}

export interface KnowledgeProvider {
  readonly name: string;
  score(candidates: readonly KnowledgeCandidate[]): Promise<KnowledgeScore[]>;
  selectFeatures(request: FeatureSelectionRequest): Promise<FeatureSelection>;
}

/** The empirical glass-forming rules both providers use (the LLM prompt quotes them). */
const GLASS_RULES = {
  multicomponent: 'Three or more elements (Inoue rule 1); glasses with four to five are more stable.',
  sizeMismatch: 'Mean atomic size mismatch delta above 12 % (Inoue rule 2; partial credit from 8 %).',
  negativeMixing: 'Negative heats of mixing among the main element pairs (Inoue rule 3), dHmix <= -20 kJ/mol and most pairs attractive.',
  etmLtmBalance: 'Early transition metals (Zr, Ti) balanced with late transition metals (Cu, Ni, ...): ETM 40-75 %, LTM 15-45 %.',
  nearKnownGlass: 'Close (L1 < 15 at.%) to a known bulk metallic glass.',
  reducedGlassTransition: 'Reduced glass transition temperature Tg/Tl >= 0.6 (needs measured or predicted Tg and Tl; not estimated offline).',
} as const;

/** The high-entropy-alloy family's rules (solid-solution formation and phase, src/core/knowledge/families.ts). */
const HEA_RULES = {
  multiPrincipal: 'Four or more principal elements, each 5-35 at.% (the definition of a high-entropy alloy).',
  solidSolution: 'A solid solution rather than intermetallics: Omega >= 1.1 and delta <= 6.6 % (Yang & Zhang 2012); delta above 8 % favours intermetallics.',
  hmixWindow: 'Mixing enthalpy dHmix between -15 and +5 kJ/mol (Zhang et al. 2008): neither intermetallic compounds nor segregation.',
  vecPhase: 'Valence electron concentration VEC >= 8: ductile FCC; 6.87-8: FCC + BCC, stronger and still ductile; below 6.87: BCC, strong but brittle (Guo et al. 2011).',
  nearKnownAlloy: 'Close (L1 < 15 at.%) to a known alloy that meets the objectives.',
} as const;

export const RULES = { ...GLASS_RULES, ...HEA_RULES } as const;

/** The rules each alloy family's expert uses. */
export const FAMILY_RULES: Readonly<Record<AlloyFamily, readonly RuleId[]>> = {
  'zr-bmg': Object.keys(GLASS_RULES) as RuleId[],
  hea: Object.keys(HEA_RULES) as RuleId[],
};

export type RuleId = keyof typeof RULES;

/** Knowledge scores in [-1, 1] for a batch of states; may be async (LLM behind a cache). */
export type KnowledgeScorer = (states: readonly Float64Array[]) => Float64Array | Promise<Float64Array>;
