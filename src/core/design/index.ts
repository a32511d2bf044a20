/** The design engine's public surface for the service layer. */
export { runDesignIteration, type DesignIterationInput, type DesignIterationResult } from './design-iteration.js';
export { DEFAULT_DESIGN_CONFIG, resolveDesignConfig, type DesignConfig, type DesignConfigOverrides } from './config.js';
export { proposeBatch, successProbability, DEFAULT_PROPOSAL_CONFIG, type Proposal, type ProposalConfig } from './proposals.js';
export { surrogatesFromBundle, type BundleLike } from './bundle-surrogates.js';
export { makeBundleRetrainer, evaluateFeatureSet } from './bundle-refinement.js';
export type { Objective, PropertyName, Surrogates, SurrogatePredictions } from '../rl/types.js';
export type { Td3Checkpoint } from '../rl/td3.js';
export type { RefinementEvent, RetrainResult } from '../refinement/amr.js';
export type { KnowledgeProvider, KnowledgeScore, FeatureSelection } from '../knowledge/types.js';
export { RulesKnowledgeProvider } from '../knowledge/rules-provider.js';
export { LlmKnowledgeProvider, InMemoryKnowledgeCache, PROMPT_VERSION, FEATURE_PROMPT_VERSION, type KnowledgeCache, type KnowledgeCacheKey, type LlmClient } from '../knowledge/llm-provider.js';
