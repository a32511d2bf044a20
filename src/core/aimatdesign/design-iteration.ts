/**
 * One design iteration of a campaign: build the TEP from the measurements, train the TD3 agent
 * in the virtual lab (knowledge reward in later stages, AMR watching), then propose a batch
 * (ranked by predicted success, corrected by the lab's answers nearby: local-evidence.ts).
 * Pure orchestration; the caller persists the checkpoint, events and proposals.
 */
import type { Composition } from '../chemistry/types.js';
import type { DesignSpace } from '../domain/design-space.js';
import type { MeasuredAlloy } from '../domain/measured-alloy.js';
import { makeKnowledgeScorer } from '../knowledge/scorer.js';
import type { KnowledgeProvider } from '../knowledge/types.js';
import { AutomaticModelRefinement, type RefinementEvent, type RetrainResult } from '../amr/amr.js';
import { stateDim, toState } from '../domain/state.js';
import { toFractions, usesOnlyElements } from '../domain/composition-grid.js';
import { VirtualLab } from '../rl/environment.js';
import { Td3Agent, type Td3Checkpoint } from '../rl/td3.js';
import { setupTf } from '../rl/tf.js';
import { trainAgent, type TrainReport } from './trainer.js';
import type { Objective } from '../domain/objectives.js';
import type { Surrogates } from '../domain/predictions.js';
import { TrustworthyExperiencePool } from '../tep/trustworthy-experience-pool.js';
import { Random } from '../util/random.js';
import { resolveDesignConfig, type DesignConfigOverrides } from './config.js';
import { LocalEvidence } from './local-evidence.js';
import { proposeBatch, type Proposal } from './proposals.js';
import { sampleInRegion, type ActiveTrustRegion } from './trust-region.js';

export interface DesignIterationInput {
  space: DesignSpace;
  objectives: readonly Objective[];
  /** Whether success needs a glass (default true); when not, nearby crystalline samples say nothing against a candidate. */
  requireGlass?: boolean;
  measured: readonly MeasuredAlloy[];
  pending?: readonly Composition[];
  /** Compositions proposed before (any state): never proposed again. */
  proposed?: readonly Composition[];
  /** Surrogates bound to space.elements (see surrogatesFromBundle). */
  surrogates: Surrogates;
  /** Knowledge reward and proposal scores; null = no knowledge reward. */
  knowledge?: KnowledgeProvider | null;
  /** AMR: needs the candidate descriptors, the current model's features/CV error and a retrain function. */
  refinement?: {
    candidates: readonly string[];
    current: { featureNames: string[]; cvError: number; metrics: Record<string, number> };
    retrain: (featureNames: string[]) => Promise<RetrainResult>;
    /** The lab check fired: the latest results disagree with their predictions, so AMR re-selects features in this run. */
    labDisagreement?: boolean;
  } | null;
  /** Trust region: training starts and proposals concentrate around these anchors (null = the paper's starts). */
  trustRegion?: ActiveTrustRegion | null;
  /** Warm start from the previous iteration's agent. */
  checkpoint?: Td3Checkpoint | null;
  seed: number;
  config?: DesignConfigOverrides;
  onProgress?: (progress: number) => void;
  log?: (line: string) => void;
}

export interface DesignIterationResult {
  proposals: Proposal[];
  /** Persist: the agent for the next iteration. */
  checkpoint: Td3Checkpoint;
  training: TrainReport;
  /** Persist: every AMR trigger. */
  refinementEvents: RefinementEvent[];
  /** Feature names of the surrogates in use at the end (changed when AMR accepted a refinement). */
  featureNames: string[] | null;
  /** Surrogates in use at the end (the refined ones when AMR accepted). */
  surrogates: Surrogates;
  tepTransitions: number;
  backend: string;
}

export async function runDesignIteration(input: DesignIterationInput): Promise<DesignIterationResult> {
  const cfg = resolveDesignConfig(input.config);
  const backend = await setupTf({ log: input.log });
  const rng = new Random(input.seed);
  const { space, objectives } = input;
  const knowledge = input.knowledge ?? null;

  const tep = new TrustworthyExperiencePool({ space, objectives, surrogates: input.surrogates, rewardConfig: cfg.env.reward, config: { ...cfg.tep, actionStep: cfg.env.actionStep } });
  tep.addAll(input.measured);
  input.log?.(`TEP: ${tep.size} transitions from ${input.measured.length} measured alloys`);

  // Measured alloys start episodes with the process they were made with (defaults when unknown).
  const measuredStarts = input.measured.filter((a) => usesOnlyElements(a.composition, space.elements)).map((a) => toState(toFractions(a.composition, space.elements), space, a.process));
  const region = input.trustRegion && input.trustRegion.anchors.length ? input.trustRegion : null;
  const regionRng = rng.fork();
  const env = new VirtualLab({
    space,
    objectives,
    surrogates: input.surrogates,
    rng: rng.fork(),
    measuredStarts,
    regionStarts: region ? { share: 1 - region.explorationShare, sample: () => sampleInRegion(region.anchors, region.radius, space, regionRng) } : undefined,
    config: cfg.env,
    knowledge: knowledge ? makeKnowledgeScorer(knowledge, space.elements, { gridStep: space.step }) : undefined,
  });
  const agent = input.checkpoint ? Td3Agent.fromJSON(input.checkpoint, rng.fork(), cfg.td3) : new Td3Agent(stateDim(space), rng.fork(), cfg.td3);
  const amr =
    cfg.amr.enabled && input.refinement && knowledge
      ? new AutomaticModelRefinement({
          provider: knowledge,
          elements: space.elements,
          candidates: input.refinement.candidates,
          current: input.refinement.current,
          retrain: input.refinement.retrain,
          labDisagreement: input.refinement.labDisagreement ?? false,
          config: cfg.amr,
          log: input.log,
        })
      : null;
  try {
    const training = await trainAgent({
      env,
      agent,
      rng: rng.fork(),
      config: { ...cfg.train, knowledge: knowledge ? cfg.train.knowledge : { ...cfg.train.knowledge, weight: 0 } },
      tep,
      refinement: amr,
      onProgress: input.onProgress,
    });
    const proposals = await proposeBatch({
      space,
      objectives,
      surrogates: env.surrogates,
      agent,
      rng: rng.fork(),
      measured: input.measured.map((a) => a.composition),
      pending: input.pending,
      proposed: input.proposed,
      knowledge,
      config: cfg.proposals,
      env: cfg.env,
      trustRegion: region,
      evidence: cfg.localEvidence.bandwidth > 0 ? LocalEvidence.fromMeasured(input.measured, space, { requireGlass: input.requireGlass ?? true, targets: objectives }, cfg.localEvidence) : null,
    });
    return {
      proposals,
      checkpoint: agent.toJSON(),
      training,
      refinementEvents: amr?.events ?? [],
      featureNames: amr ? amr.featureNames : null,
      surrogates: env.surrogates,
      tepTransitions: tep.size,
      backend,
    };
  } finally {
    agent.dispose();
  }
}
