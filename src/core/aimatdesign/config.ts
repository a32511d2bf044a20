/** One typed configuration of a design iteration, with the paper's defaults where it has them. */
import { DEFAULT_AMR_CONFIG, type AmrConfig } from '../amr/amr.js';
import { DEFAULT_ENV_CONFIG, type EnvConfig } from '../rl/environment.js';
import { DEFAULT_TD3_CONFIG, type Td3Config } from '../rl/td3.js';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from './trainer.js';
import { DEFAULT_TEP_CONFIG, type TepConfig } from '../tep/trustworthy-experience-pool.js';
import { DEFAULT_LOCAL_EVIDENCE_CONFIG, type LocalEvidenceConfig } from './local-evidence.js';
import { DEFAULT_PROPOSAL_CONFIG, type ProposalConfig } from './proposals.js';

export interface DesignConfig {
  env: EnvConfig;
  td3: Td3Config;
  train: TrainConfig;
  tep: TepConfig;
  amr: AmrConfig & { enabled: boolean };
  proposals: ProposalConfig;
  /** The lab's answers near a candidate, blended into its success probability (bandwidth 0 = off). */
  localEvidence: LocalEvidenceConfig;
}

export const DEFAULT_DESIGN_CONFIG: DesignConfig = {
  env: DEFAULT_ENV_CONFIG,
  td3: DEFAULT_TD3_CONFIG,
  train: DEFAULT_TRAIN_CONFIG,
  tep: DEFAULT_TEP_CONFIG,
  amr: { ...DEFAULT_AMR_CONFIG, enabled: true },
  proposals: DEFAULT_PROPOSAL_CONFIG,
  localEvidence: DEFAULT_LOCAL_EVIDENCE_CONFIG,
};

export type DesignConfigOverrides = { [K in keyof DesignConfig]?: Partial<DesignConfig[K]> };

/** Defaults overlaid section by section (env.reward merged too). */
export function resolveDesignConfig(o: DesignConfigOverrides = {}): DesignConfig {
  return {
    env: { ...DEFAULT_DESIGN_CONFIG.env, ...o.env, reward: { ...DEFAULT_DESIGN_CONFIG.env.reward, ...o.env?.reward } },
    td3: { ...DEFAULT_DESIGN_CONFIG.td3, ...o.td3 },
    train: { ...DEFAULT_DESIGN_CONFIG.train, ...o.train },
    tep: { ...DEFAULT_DESIGN_CONFIG.tep, ...o.tep },
    amr: { ...DEFAULT_DESIGN_CONFIG.amr, ...o.amr },
    proposals: { ...DEFAULT_DESIGN_CONFIG.proposals, ...o.proposals },
    localEvidence: { ...DEFAULT_DESIGN_CONFIG.localEvidence, ...o.localEvidence },
  };
}
