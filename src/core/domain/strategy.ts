/**
 * A campaign's strategy settings as the API exposes them; unset fields take these defaults
 * (the paper's values where the paper gives one; episodes per design iteration are fewer than the
 * paper's 1000 because the service retrains after every batch instead of once).
 */
/**
 * The design strategies a campaign can name: aimatdesign = TD3 + TEP + knowledge reward + AMR;
 * random = uniform proposals, genetic = genetic algorithm, bo = Bayesian optimisation (baselines).
 */
export const STRATEGY_METHODS = ['aimatdesign', 'random', 'genetic', 'bo'] as const;
export type StrategyMethod = (typeof STRATEGY_METHODS)[number];

/** Where the knowledge reward's scores come from: the family rules, an LLM (rules as fallback), or none. */
export const KNOWLEDGE_PROVIDERS = ['rules', 'llm', 'none'] as const;
export type KnowledgeProviderKind = (typeof KNOWLEDGE_PROVIDERS)[number];

export interface StrategySettings {
  method: StrategyMethod;
  /** Agent training episodes in the first iteration, and when refreshing a warm-started agent. */
  episodesPerIteration: number;
  refreshEpisodes: number;
  stepsPerEpisode: number;
  /** Largest change of one element's fraction per agent action (fraction, not at.%). */
  actionStep: number;
  /** Largest share of each training batch drawn from the Trustworthy Experience Pool. */
  tepShare: number;
  knowledgeProvider: KnowledgeProviderKind;
  knowledgeWeight: number;
  amrEnabled: boolean;
  /** AMR triggers when the Q-value / reward Pearson correlation drops below this. */
  amrCorrelationThreshold: number;
  /** AMR's lab trigger: fires when more than this share of the latest results fall outside their predictions' 95 % intervals. */
  amrDisagreementShare: number;
  /** Minimum composition distance (at.%, L1) between proposals of one batch. */
  minProposalDistance: number;
  /**
   * A composition meeting every objective ends the agent's training episode (the and the
   * paper's environment); false: the agent walks on from it (bench:design --success-continues).
   */
  successEndsEpisode: boolean;
  /**
   * The agent's moves are kept inside the design space (EnvConfig.projectActions). Off in
   * campaigns: in the closed-loop benchmark it lowered the success rate from 81.9 % to 62.8 %
   * (README, closed-loop benchmark), although it lifts the design benchmark's SR_done.
   */
  safetyLayer: boolean;
  /**
   * Share of training episodes started on element sets that produced successes
   * (EnvConfig.startCurriculum). Off in campaigns: no measurable effect in the closed loop.
   */
  startCurriculum: number;
  /**
   * Trust region (src/core/aimatdesign/trust-region.ts): agent starts and proposals concentrate around
   * the best measured alloys, in a radius that grows on success and shrinks on failure.
   */
  trustRegion: boolean;
  /**
   * Share of the agent's starts and of each batch left for exploration outside the trust region
   * at the start; it then follows what each side yields (between 0.1 and 0.5).
   */
  explorationShare: number;
  /**
   * Local evidence (src/core/aimatdesign/local-evidence.ts): a proposal's success probability blends
   * the surrogates' guess with the lab's answers within a few at.% of it.
   */
  localEvidence: boolean;
}

export const DEFAULT_STRATEGY: StrategySettings = {
  method: 'aimatdesign',
  episodesPerIteration: 100,
  refreshEpisodes: 25,
  stepsPerEpisode: 128,
  actionStep: 0.05,
  tepShare: 0.05,
  knowledgeProvider: 'rules',
  knowledgeWeight: 0.2,
  amrEnabled: true,
  amrCorrelationThreshold: 0.2,
  amrDisagreementShare: 0.5,
  minProposalDistance: 2,
  successEndsEpisode: true,
  safetyLayer: false,
  startCurriculum: 0,
  trustRegion: true,
  explorationShare: 0.25,
  localEvidence: true,
};

/** What each setting does, as the API documents it (the OpenAPI descriptions; defaults from DEFAULT_STRATEGY). */
export const STRATEGY_SETTING_DESCRIPTIONS: Record<keyof StrategySettings, string> = {
  method: 'design strategy: aimatdesign (TD3 + TEP + knowledge reward + AMR) or a baseline (random, genetic, bo)',
  episodesPerIteration: 'agent training episodes in the first design iteration',
  refreshEpisodes: 'episodes when refreshing the warm-started agent after new results',
  stepsPerEpisode: 'agent steps per training episode',
  actionStep: 'largest fraction change per action',
  tepShare: 'largest share of a training batch from the TEP',
  knowledgeProvider: 'source of the knowledge reward: the alloy family rules, an LLM (rules as fallback), or none',
  knowledgeWeight: 'weight of the knowledge reward',
  amrEnabled: 'automatic model refinement (AMR) on',
  amrCorrelationThreshold: 'AMR triggers when the Q-value / reward Pearson correlation drops below this',
  amrDisagreementShare: "AMR's lab trigger: share of the latest results outside their predictions' 95 % intervals above which it fires",
  minProposalDistance: 'min L1 distance between proposals, at.%',
  successEndsEpisode: 'a composition meeting every objective ends the training episode (false: the agent walks on from it)',
  safetyLayer: "the agent's moves are kept inside the design space (safety layer; false: the paper's agent, whose illegal moves end episodes)",
  startCurriculum: 'share of training episodes started on element sets that already produced a success (start curriculum; 0 = off)',
  trustRegion: 'trust region: agent starts and proposals concentrate around the best measured alloys (the radius grows on success, shrinks on failure)',
  explorationShare:
    'share of agent starts and of each batch left for exploration outside the trust region at the start; it then follows what each side yields (0.1 to 0.5)',
  localEvidence: "local evidence: a proposal's success probability blends the surrogates' guess with the lab's answers within a few at.% of it",
};

/** The settings given, the defaults for the rest (a key given as undefined, as a parsed DTO leaves it, counts as not given). */
export function withStrategyDefaults(partial: Partial<StrategySettings> | undefined): StrategySettings {
  const given = Object.fromEntries(Object.entries(partial ?? {}).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_STRATEGY, ...given };
}

/** The allowed range of a numeric setting; whole numbers only where `integer`. */
export interface SettingRange {
  min: number;
  max: number;
  integer?: boolean;
}

/** The range of each numeric strategy setting: the one table the API's DTO and strategyProblems read. */
export const STRATEGY_SETTING_RANGES = {
  episodesPerIteration: { min: 1, max: 100000, integer: true },
  refreshEpisodes: { min: 1, max: 100000, integer: true },
  stepsPerEpisode: { min: 1, max: 10000, integer: true },
  actionStep: { min: 0.001, max: 0.5 },
  tepShare: { min: 0, max: 1 },
  knowledgeWeight: { min: 0, max: 10 },
  amrCorrelationThreshold: { min: -1, max: 1 },
  amrDisagreementShare: { min: 0, max: 1 },
  minProposalDistance: { min: 0, max: 200 },
  startCurriculum: { min: 0, max: 1 },
  explorationShare: { min: 0, max: 1 },
} as const satisfies { [K in keyof StrategySettings]?: SettingRange };

export type NumericStrategySetting = keyof typeof STRATEGY_SETTING_RANGES;

/** Every way a number breaks its range, in words; empty when it fits. */
export function rangeProblems(name: string, value: unknown, range: SettingRange): string[] {
  if (typeof value !== 'number' || !Number.isFinite(value)) return [`${name} must be a finite number (got ${String(value)})`];
  if (range.integer && !Number.isInteger(value)) return [`${name} must be a whole number (got ${value})`];
  if (value < range.min || value > range.max) return [`${name} must be in ${range.min}..${range.max} (got ${value})`];
  return [];
}

/** Every way a full set of strategy settings is not valid, in words; empty when it is. */
export function strategyProblems(s: StrategySettings): string[] {
  const problems: string[] = [];
  if (!(STRATEGY_METHODS as readonly string[]).includes(s.method)) problems.push(`method must be one of ${STRATEGY_METHODS.join(', ')} (got ${String(s.method)})`);
  if (!(KNOWLEDGE_PROVIDERS as readonly string[]).includes(s.knowledgeProvider)) {
    problems.push(`knowledgeProvider must be one of ${KNOWLEDGE_PROVIDERS.join(', ')} (got ${String(s.knowledgeProvider)})`);
  }
  for (const [key, range] of Object.entries(STRATEGY_SETTING_RANGES) as [NumericStrategySetting, SettingRange][]) problems.push(...rangeProblems(key, s[key], range));
  for (const key of Object.keys(DEFAULT_STRATEGY) as (keyof StrategySettings)[]) {
    if (typeof DEFAULT_STRATEGY[key] === 'boolean' && typeof s[key] !== 'boolean') problems.push(`${key} must be true or false (got ${String(s[key])})`);
  }
  return problems;
}
