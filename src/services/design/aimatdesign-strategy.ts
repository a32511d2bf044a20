import { OpenAiKnowledgeClient } from '../../../adapters/llm/openai-knowledge-client.js';
import type { AppConfig } from '../../config/config.js';
import { DESCRIPTOR_NAMES, elementFractionFeatures } from '../../core/chemistry/descriptors.js';
import type { MeasuredAlloy } from '../../core/domain/measured-alloy.js';
import { surrogatesFromBundle } from '../../core/aimatdesign/bundle-surrogates.js';
import { runDesignIteration } from '../../core/aimatdesign/design-iteration.js';
import { DEFAULT_TRUST_REGION_CONFIG, updateTrustRegion, type TrustRegionState } from '../../core/aimatdesign/trust-region.js';
import { LlmKnowledgeProvider, type KnowledgeCache } from '../../core/knowledge/llm-provider.js';
import { RulesKnowledgeProvider } from '../../core/knowledge/rules-provider.js';
import type { KnowledgeProvider } from '../../core/knowledge/types.js';
import { acceptanceError } from '../../core/amr/acceptance-error.js';
import type { RetrainResult } from '../../core/amr/amr.js';
import { DEFAULT_KNOWLEDGE_SCHEDULE } from '../../core/rl/reward.js';
import type { Td3Checkpoint } from '../../core/rl/td3.js';
import type { TrainingCurve } from '../../core/aimatdesign/training-curve.js';
import type { SurrogateCvMetrics } from '../../core/analytics/model-metrics.js';
import type { Objective } from '../../core/domain/objectives.js';
import { SurrogateBundle, type BundleCrossValidation } from '../../core/surrogates/bundle.js';
import { calibrateDomainUncertainty, withDomainUncertainty } from '../../core/surrogates/domain-uncertainty.js';
import { shareInElements } from '../../core/domain/composition-grid.js';
import { Random } from '../../core/util/random.js';
import { designTargets } from '../../core/domain/objectives.js';
import type { KnowledgeProviderKind } from '../../core/domain/strategy.js';
import { isSuccess } from '../../core/domain/success.js';
import { FAMILY_PROFILES, familyOf, type AlloyFamily } from '../../core/knowledge/families.js';
import { MIN_PROPERTY_ROWS, PropertyRegressors, withObjectiveProperties, type SurrogatesArtifact } from '../../core/surrogates/property-regressors.js';
import { fitProcessCorrection, withProcessInputs } from '../../core/aimatdesign/process-surrogates.js';
import { RandomStrategy } from './random-strategy.js';
import { predictionOf, type DesignContext, type DesignOutcome, type DesignStrategy, type ModelVersionRecord } from './strategy.js';

/** The descriptors surrogates start from; AMR may add 1-3 of the other candidates. */
export const INITIAL_DESCRIPTORS = ['delta', 'dHmix', 'dSmix', 'vec'];
const CV_FOLDS = 3;

/**
 * AIMatDesign for one design iteration: surrogates (oblivious-tree classifier + edRVFL
 * regressors) trained on every measurement and cross-validated, TEP from the measured pairs, TD3
 * warm-started from the previous iteration's agent with the knowledge reward and AMR, then a
 * diverse batch. Returns what the loop persists: model versions, agent checkpoint, refinements.
 */
export class AimatdesignStrategy implements DesignStrategy {
  readonly name = 'aimatdesign';

  constructor(
    private readonly config: AppConfig,
    /** LLM answers cached in the database (null: no cache, e.g. benchmarks). */
    private readonly knowledgeCache: KnowledgeCache | null,
  ) {}

  async propose(ctx: DesignContext): Promise<DesignOutcome> {
    const { space, strategy } = ctx;
    const featureNames = ctx.previous.featureNames ?? [...elementFractionFeatures(space.elements), ...INITIAL_DESCRIPTORS];
    const requireGlass = ctx.objectives.requireGlass;
    // Crystalline allowed: an alloy without a glass label teaches the (unused) classifier "not a glass".
    const usable = ctx.measured
      .filter((a) => Object.keys(a.composition).length > 0)
      .map((a) => (requireGlass || a.isGlass !== null ? a : { ...a, isGlass: false }));
    // Maximise / minimise without a bound: improving on the best measured so far.
    const objectives: Objective[] = designTargets(ctx.objectives, usable);
    const problem = dataProblem(usable, requireGlass);
    if (problem) {
      // Surrogates cannot be fitted yet: explore uniformly and say why.
      ctx.log(`AIMatDesign needs more data (${problem}); this batch is random`);
      const outcome = await new RandomStrategy().propose(ctx);
      return { ...outcome, summary: { ...outcome.summary, fallback: problem } };
    }

    await ctx.progress(0.02, 'training surrogates');
    const training = surrogateTrainingSet(usable, space.elements, ctx.seed);
    const extraProperties = objectives.map((o) => o.property).filter((q) => q !== 'yieldStrengthMPa' && q !== 'elongationPct');
    const trained = trainSurrogates(training, featureNames, ctx.seed, space.baseElement, extraProperties);
    const modelVersions: ModelVersionRecord[] = [trained.record('new data')];
    if (trained.properties.missing.length) ctx.log(`no regressor for ${trained.properties.missing.join(', ')} (fewer than ${MIN_PROPERTY_ROWS} measured values): the design cannot steer it yet`);
    const compositionSurrogates = (t: typeof trained) => withObjectiveProperties(t.surrogates(space.elements), t.properties.regressors, space.elements, requireGlass);
    // With process variables the surrogates take them as inputs: a correction fitted on the lab's results (process-surrogates.ts).
    const surrogatesFor = (t: typeof trained) => {
      const base = compositionSurrogates(t);
      return space.process?.length ? withProcessInputs(base, space, fitProcessCorrection(base, usable, space)) : base;
    };
    ctx.log(
      `surrogates on ${training.train.length} of ${usable.length} alloys (cross-validated on ${training.validate.length}) in ${trained.seconds.toFixed(1)} s (cv ${describeCv(trained.cv)})`,
    );

    const region = strategy.trustRegion
      ? updateTrustRegion((ctx.previous.trustRegion as TrustRegionState | null) ?? null, usable, ctx.objectives, space, ctx.iteration, { ...DEFAULT_TRUST_REGION_CONFIG, explorationShare: strategy.explorationShare })
      : null;
    const anchors = (region?.anchors ?? []).map((a) => Float64Array.from(a));
    if (region) ctx.log(`trust region: radius ${region.radius.toFixed(1)} at.% around ${anchors.length} anchors (best score ${region.bestScore.toFixed(3)}), exploration share ${(region.explorationShare ?? strategy.explorationShare).toFixed(2)}`);

    const family = familyOf(space);
    // The expert's known good alloys: glass formers for a glass campaign, else alloys meeting the objectives.
    const knownGood = requireGlass ? usable.filter((a) => a.isGlass) : usable.filter((a) => isSuccess(a, ctx.objectives));
    const knowledge = this.knowledgeProvider(strategy.knowledgeProvider, usable, knownGood, family, ctx.log);
    if (family !== 'zr-bmg') ctx.log(`alloy family ${family}: ${FAMILY_PROFILES[family].label} rules`);
    // A warm-started agent only needs a refresh on the new data, not a full training run.
    const warm = ctx.previous.agentCheckpoint !== null;
    const episodes = warm ? strategy.refreshEpisodes : strategy.episodesPerIteration;
    const totalSteps = episodes * strategy.stepsPerEpisode;
    await ctx.progress(0.1, `training the agent (${totalSteps} steps)`);
    let lastProgress = 0;
    const result = await runDesignIteration({
      space,
      objectives,
      requireGlass,
      measured: usable,
      pending: ctx.pending,
      proposed: ctx.proposed,
      surrogates: surrogatesFor(trained),
      knowledge,
      refinement:
        strategy.amrEnabled && knowledge
          ? {
              candidates: DESCRIPTOR_NAMES.filter((d) => !featureNames.includes(d)),
              current: { featureNames: [...featureNames], cvError: trained.cvError, metrics: trained.metrics },
              labDisagreement: ctx.labCheck?.fired === 'lab-disagreement',
              retrain: async (names: string[]): Promise<RetrainResult> => {
                const refined = trainSurrogates(training, names, ctx.seed, space.baseElement, extraProperties);
                modelVersions.push(refined.record('AMR feature re-selection'));
                return { surrogates: surrogatesFor(refined), featureNames: names, cvError: refined.cvError, metrics: refined.metrics };
              },
            }
          : null,
      checkpoint: (ctx.previous.agentCheckpoint as Td3Checkpoint | null) ?? null,
      trustRegion: region ? { anchors, radius: region.radius, explorationShare: region.explorationShare ?? strategy.explorationShare } : null,
      seed: ctx.seed,
      config: {
        env: { actionStep: strategy.actionStep, maxSteps: strategy.stepsPerEpisode, numEnvs: 64, successEndsEpisode: strategy.successEndsEpisode, projectActions: strategy.safetyLayer, startCurriculum: strategy.startCurriculum },
        train: { totalSteps, learningStarts: Math.min(2048, Math.floor(totalSteps / 8)), knowledge: { ...DEFAULT_KNOWLEDGE_SCHEDULE, weight: strategy.knowledgeWeight } },
        tep: { batchShare: strategy.tepShare, actionStep: strategy.actionStep },
        ...(strategy.localEvidence ? {} : { localEvidence: { bandwidth: 0 } }),
        amr: { enabled: strategy.amrEnabled, minCorrelation: strategy.amrCorrelationThreshold, checkEvery: 4096, cooldown: 8192, maxRefinements: 1 },
        // Proposal rollouts scale with the batch and the episode length, not a fixed 64 x 64.
        proposals: {
          batchSize: ctx.count,
          minDistance: strategy.minProposalDistance,
          rollouts: Math.max(16, 4 * ctx.count),
          rolloutSteps: Math.min(64, strategy.stepsPerEpisode),
          // With a trust region, exploration is its stated share: no bonus for spreads that grow away from the data.
          ...(region ? { uncertaintyWeight: 0 } : {}),
        },
      },
      onProgress: (p) => {
        // At most one progress write a second: training calls this every vector step.
        const now = Date.now();
        if (now - lastProgress < 1000) return;
        lastProgress = now;
        ctx.progress(0.1 + 0.85 * p, 'training the agent').catch(() => undefined);
      },
      log: ctx.log,
    });

    // Only the model versions the agent ended with are kept active; a rejected AMR retrain is
    // still recorded (with its metrics) but not activated.
    const finalFeatures = result.featureNames ?? featureNames;
    const active = [...modelVersions].reverse().find((m) => sameFeatures(m.features, finalFeatures)) ?? modelVersions[0];
    const ordered = [...modelVersions.filter((m) => m !== active), active];
    return {
      proposals: result.proposals.map((p) => ({
        composition: p.composition,
        ...(p.process ? { process: p.process } : {}),
        prediction: {
          ...predictionOf(p),
          ...(p.knowledge ? { knowledgeScore: p.knowledge.score, knowledgeExplanation: p.knowledge.explanation } : {}),
        },
      })),
      modelVersions: ordered,
      agent: {
        config: { episodes, warmStart: warm, stepsPerEpisode: strategy.stepsPerEpisode, backend: result.backend, trustRegion: region },
        trainingCurve: {
          points: result.training.curve,
          rates: result.training.rates,
          predictionsPerSecond: result.training.predictionsPerSecond,
          wallSeconds: result.training.wallSeconds,
          amrChecks: result.training.refinementChecks,
        } satisfies TrainingCurve,
        weights: result.checkpoint,
        envSteps: result.training.envSteps,
      },
      refinements: result.refinementEvents.map((e) => ({
        reason: e.reason,
        correlationBefore: e.correlationBefore,
        correlationAfter: e.correlationAfter,
        variance: e.relativeStdBefore,
        featuresBefore: e.featuresBefore,
        featuresChosen: e.featuresChosen,
        rationale: e.rationale,
        provider: e.selectionSource,
        metricsBefore: { ...e.metricsBefore, cvError: e.cvErrorBefore },
        metricsAfter: e.metricsAfter ? { ...e.metricsAfter, cvError: e.cvErrorAfter } : null,
        accepted: e.accepted,
      })),
      summary: {
        strategy: 'aimatdesign',
        tepTransitions: result.tepTransitions,
        envSteps: result.training.envSteps,
        trainingSeconds: result.training.wallSeconds,
        srDone: result.training.rates.srDone,
        refinements: result.refinementEvents.length,
        backend: result.backend,
        ...(region ? { trustRadius: region.radius, trustAnchors: anchors.length } : {}),
      },
    };
  }

  private knowledgeProvider(kind: KnowledgeProviderKind, alloys: MeasuredAlloy[], knownGood: MeasuredAlloy[], family: AlloyFamily, log: (l: string) => void): KnowledgeProvider | null {
    if (kind === 'none') return null;
    const rules = new RulesKnowledgeProvider({ knownGlasses: knownGood.map((a) => a.composition), family });
    if (kind !== 'llm') return rules;
    if (this.config.knowledge.mode !== 'llm') {
      log('knowledge provider "llm" asked for, but OPENAI_BASE_URL is not set: using the rules');
      return rules;
    }
    const client = new OpenAiKnowledgeClient({ baseURL: this.config.knowledge.baseUrl, model: this.config.knowledge.model, apiKey: this.config.knowledge.apiKey });
    return new LlmKnowledgeProvider({
      client,
      cache: this.knowledgeCache ?? undefined,
      fallback: rules,
      knownAlloys: alloys,
      config: { timeoutMs: this.config.knowledge.timeoutMs },
      log,
    });
  }
}

/** Alloys whose composition is at least this share in the campaign's elements teach the glass classifier. */
const MIN_IN_SPACE_SHARE = 0.75;
/** Cross-validation (model quality, AMR's acceptance) on at most this many alloys. */
const MAX_CV_ALLOYS = 2500;

/**
 * What the surrogates learn from: every alloy with a measured property, and the glass labels of
 * alloys mostly made of the campaign's elements (a Mg- or La-based glass says little about a Zr
 * space, and the whole literature would cost the first iteration minutes). Cross-validation runs
 * on every alloy with a property plus a seeded sample of the label-only ones, at most MAX_CV_ALLOYS.
 */
export function surrogateTrainingSet(alloys: readonly MeasuredAlloy[], elements: readonly string[], seed: number): { train: MeasuredAlloy[]; validate: MeasuredAlloy[] } {
  const hasProperty = (a: MeasuredAlloy) => a.yieldStrengthMPa !== null || a.elongationPct !== null;
  // Alloys with a property first, in both sets: the cross-validation's property rows are then the
  // training set's too, so training reuses it (the yield blend's weight) instead of its own inner CV.
  const withProperty = alloys.filter(hasProperty);
  const labelsOnly = alloys.filter((a) => !hasProperty(a) && shareInElements(a.composition, elements) >= MIN_IN_SPACE_SHARE);
  const train = [...withProperty, ...labelsOnly];
  if (train.length <= MAX_CV_ALLOYS) return { train, validate: train };
  const sample = new Random(`cv-sample|${seed}`).shuffle([...labelsOnly]).slice(0, Math.max(0, MAX_CV_ALLOYS - withProperty.length));
  return { train, validate: [...withProperty, ...sample] };
}

function trainSurrogates(data: { train: MeasuredAlloy[]; validate: MeasuredAlloy[] }, featureNames: readonly string[], seed: number, baseElement?: string, extraProperties: readonly string[] = []) {
  const started = performance.now();
  const alloys = data.train;
  // One cross-validation: model quality, AMR's acceptance, the yield blend's weight and the domain calibration.
  const options = { featureNames, seed, focusBaseElement: baseElement };
  const cv = SurrogateBundle.crossValidate(data.validate, { ...options, folds: CV_FOLDS });
  const bundle = SurrogateBundle.train(alloys, { ...options, cv });
  // Spreads that grow, and P(glass) that fades, away from the measured alloys: fitted on the same out-of-fold predictions.
  const calibration = calibrateDomainUncertainty(data.validate, { featureNames, seed, folds: CV_FOLDS, cv });
  // One regressor per further objective property with data (Dmax, Tg, ..., free names).
  const properties = PropertyRegressors.train(alloys, extraProperties, featureNames, seed);
  const seconds = (performance.now() - started) / 1000;
  const { error, metrics } = acceptanceError(cv, data.validate);
  return {
    bundle,
    cv,
    cvError: error,
    metrics,
    seconds,
    calibration,
    properties,
    /** The bundle bound to the campaign's elements, with the domain-aware uncertainty. */
    surrogates: (elements: readonly string[]) => withDomainUncertainty(surrogatesFromBundle(bundle, elements), alloys, elements, calibration),
    record: (trigger: string): ModelVersionRecord => ({
      kind: 'surrogates',
      features: [...featureNames],
      hyperparameters: {
        folds: CV_FOLDS,
        seed,
        domainCalibration: calibration,
        ...(properties.regressors.models.length
          ? { propertyRegressors: Object.fromEntries(properties.regressors.models.map((m) => [m.property, { rows: m.rows, cv: m.cv }])) }
          : {}),
      },
      metrics: { ...metrics, cvError: error, folds: CV_FOLDS } satisfies SurrogateCvMetrics,
      dataCounts: {
        alloys: alloys.length,
        crossValidated: data.validate.length,
        glassLabels: alloys.filter((a) => a.isGlass !== null).length,
        yieldStrength: alloys.filter((a) => a.yieldStrengthMPa !== null).length,
        elongation: alloys.filter((a) => a.elongationPct !== null).length,
        ...Object.fromEntries(properties.regressors.models.map((m) => [m.property, m.rows])),
      },
      trainingSeconds: seconds,
      // The property regressors travel with the bundle: POST /campaigns/{id}/predict answers for every objective property.
      artifact: {
        ...bundle.toJSON(),
        propertyRegressors: properties.regressors.toJSON(),
        propertiesWithoutModel: properties.missing,
      } satisfies SurrogatesArtifact,
      trigger,
    }),
  };
}

function describeCv(cv: BundleCrossValidation): string {
  return `AUC ${cv.classifier.mean.rocAuc.toFixed(3)}, yield R² ${cv.yieldStrength.mean.r2.toFixed(2)}, elongation R² ${cv.elongation.mean.r2.toFixed(2)}`;
}

/** Why the surrogates cannot be trained on this data yet, or null. */
function dataProblem(alloys: MeasuredAlloy[], requireGlass: boolean): string | null {
  const glass = alloys.filter((a) => a.isGlass === true).length;
  const notGlass = alloys.filter((a) => a.isGlass === false).length;
  const y = alloys.filter((a) => a.yieldStrengthMPa !== null).length;
  const e = alloys.filter((a) => a.elongationPct !== null).length;
  // Glass labels matter only when glass formation is an objective (crystalline allowed: none needed).
  if (requireGlass && (glass < 2 || notGlass < 2)) return `need at least 2 glass formers and 2 non-glass alloys, have ${glass} and ${notGlass}`;
  if (y < CV_FOLDS + 2 || e < CV_FOLDS + 2) return `need at least ${CV_FOLDS + 2} yield and elongation values, have ${y} and ${e}`;
  return null;
}

function sameFeatures(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
