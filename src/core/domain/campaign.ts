/**
 * The campaign model, as BayBE's Campaign holds its search space, objective and recommender: a
 * design space, objectives, a budget and batch size, and strategy settings, with one validator
 * (campaignProblems) and one set of defaults (withStrategyDefaults), read by the API's DTO, the
 * stored entity and the design engine alike.
 */
import { checkDesignSpace, type DesignSpace } from './design-space.js';
import { objectiveProblems, type Objectives } from './objectives.js';
import { rangeProblems, strategyProblems, type SettingRange, type StrategySettings } from './strategy.js';

export interface CampaignSpec {
  designSpace: DesignSpace;
  objectives: Objectives;
  /** The most experiments the campaign may run. */
  budget: number;
  /** Proposals per design iteration. */
  batchSize: number;
  /** The seed of every random choice (same seed and data, same proposals). */
  seed: number;
  strategy: StrategySettings;
}

/** The ranges of a campaign's numbers (the DTO's decorators read them too). */
export const CAMPAIGN_LIMITS = {
  budget: { min: 1, max: 100000, integer: true },
  batchSize: { min: 1, max: 1000, integer: true },
  seed: { min: 0, max: 2147483647, integer: true },
} as const satisfies Record<'budget' | 'batchSize' | 'seed', SettingRange>;

/**
 * Every way a campaign is not valid, in words; empty when it is. `knownElements` is the element
 * table the featurizer has data for.
 */
export function campaignProblems(spec: CampaignSpec, knownElements: ReadonlySet<string>): string[] {
  const problems = checkDesignSpace(spec.designSpace, knownElements);
  problems.push(...objectiveProblems(spec.objectives));
  for (const key of ['budget', 'batchSize', 'seed'] as const) problems.push(...rangeProblems(key, spec[key], CAMPAIGN_LIMITS[key]));
  if (spec.batchSize > spec.budget) problems.push(`batchSize ${spec.batchSize} exceeds the budget of ${spec.budget} experiments`);
  problems.push(...strategyProblems(spec.strategy));
  return problems;
}
