import type { AppConfig } from '../../config/config.js';
import type { KnowledgeCache } from '../../core/knowledge/llm-provider.js';
import { AimatdesignStrategy } from './aimatdesign-strategy.js';
import { BoStrategy } from './bo-strategy.js';
import { GeneticStrategy } from './genetic-strategy.js';
import { RandomStrategy } from './random-strategy.js';
import type { DesignStrategy } from './strategy.js';

/** The strategies a campaign can name in `strategy.method`. */
export const STRATEGIES: Record<string, (config: AppConfig, knowledgeCache: KnowledgeCache | null) => DesignStrategy> = {
  aimatdesign: (config, knowledgeCache) => new AimatdesignStrategy(config, knowledgeCache),
  random: () => new RandomStrategy(),
  genetic: () => new GeneticStrategy(),
  bo: () => new BoStrategy(),
};
