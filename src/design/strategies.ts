import type { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.js';
import { AimatdesignStrategy } from './aimatdesign-strategy.js';
import { BoStrategy } from './bo-strategy.js';
import { GeneticStrategy } from './genetic-strategy.js';
import { RandomStrategy } from './random-strategy.js';
import type { DesignStrategy } from './strategy.js';

/** The strategies a campaign can name in `strategy.method`. */
export const STRATEGIES: Record<string, (config: AppConfig, dataSource: DataSource | null) => DesignStrategy> = {
  aimatdesign: (config, dataSource) => new AimatdesignStrategy(config, dataSource),
  random: () => new RandomStrategy(),
  genetic: () => new GeneticStrategy(),
  bo: () => new BoStrategy(),
};
