import type { AppConfig } from '../config/config.js';
import { GeneticStrategy } from './genetic-strategy.js';
import { RandomStrategy } from './random-strategy.js';
import type { DesignStrategy } from './strategy.js';

/** The strategies a campaign can name in `strategy.method`. */
export const STRATEGIES: Record<string, (config: AppConfig) => DesignStrategy> = {
  random: () => new RandomStrategy(),
  genetic: () => new GeneticStrategy(),
  // Until the AIMatDesign engine is wired in, it falls back to the random baseline.
  aimatdesign: () => new RandomStrategy(),
};
