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

export function withStrategyDefaults(partial: Partial<StrategySettings> | undefined): StrategySettings {
  return { ...DEFAULT_STRATEGY, ...(partial ?? {}) };
}
