import { Inject, Injectable } from '@nestjs/common';
import type { Objectives } from '../../repositories/entities/campaign.entity.js';
import type { Composition } from '../../core/chemistry/types.js';
import { successProbability } from '../../core/aimatdesign/proposals.js';
import { COLUMN_PROPERTIES, objectiveProperties, type Objective } from '../../core/domain/objectives.js';
import { SurrogateBundle } from '../../core/surrogates/bundle.js';
import { MIN_PROPERTY_ROWS, PropertyRegressors, type SurrogatesArtifact } from '../../core/surrogates/property-regressors.js';
import { predictionOf } from '../design/strategy.js';
import type { Prediction } from '../../repositories/entities/experiment.entity.js';
import { Z95 } from '../../core/util/normal.js';
import type { Tx } from '../../repositories/database.js';
import { ModelRepository } from '../../repositories/model.repository.js';

/** Deserialised bundles kept per model version (the artifact is megabytes of JSON). */
const CACHED_MODELS = 16;

export interface ModelRef {
  id: string;
  version: number;
  features: string[];
}

/** A prediction with the 95 % intervals of the properties (mean ± 1.96 sd of the surrogates). */
export interface PredictionWithIntervals extends Prediction {
  yieldStrengthInterval95: [number, number];
  elongationInterval95: [number, number];
  /** The further objective properties' intervals, by property (those with a model). */
  propertyIntervals95?: Record<string, [number, number]>;
}

/** Which of the campaign's further objective properties the model predicts, and why the others have no model. */
export interface PropertyCoverage {
  modelled: string[];
  withoutModel: { property: string; reason: string }[];
}

interface LoadedModel extends ModelRef {
  bundle: SurrogateBundle;
  /** Null for versions saved before property regressors were stored. */
  properties: { regressors: PropertyRegressors; missing: string[] } | null;
}

/**
 * Predictions of a campaign's current surrogates (its active model version) for compositions a
 * PI names: for POST /campaigns/{id}/predict, a PI's own experiment and an edited proposal.
 */
@Injectable()
export class PredictionService {
  private readonly bundles = new Map<string, Pick<LoadedModel, 'bundle' | 'properties'>>();

  constructor(@Inject(ModelRepository) private readonly models: ModelRepository) {}

  /** The campaign's active surrogate model version, or null before the first one is trained. */
  async activeModel(campaignId: string, tx?: Tx): Promise<LoadedModel | null> {
    const row = await this.models.activeSurrogates(campaignId, tx);
    if (!row) return null;
    let loaded = this.bundles.get(row.id);
    if (!loaded) {
      const artifact = (await this.models.artifact(row.id, tx)) as SurrogatesArtifact;
      loaded = {
        bundle: SurrogateBundle.fromJSON(artifact),
        properties: artifact.propertyRegressors
          ? { regressors: PropertyRegressors.fromJSON(artifact.propertyRegressors), missing: artifact.propertiesWithoutModel ?? [] }
          : null,
      };
      this.bundles.set(row.id, loaded);
      if (this.bundles.size > CACHED_MODELS) this.bundles.delete(this.bundles.keys().next().value!);
    }
    return { id: row.id, version: row.version, features: row.features, ...loaded };
  }

  /** The campaign's further objective properties (beyond yield and elongation): which the model predicts, and why not the rest. */
  private coverage(model: LoadedModel, objectives: Objectives): PropertyCoverage {
    const wanted = objectiveProperties(objectives).filter((p) => !(COLUMN_PROPERTIES as readonly string[]).includes(p));
    const modelled = model.properties?.regressors.properties ?? [];
    return {
      modelled: wanted.filter((p) => modelled.includes(p)),
      withoutModel: wanted
        .filter((p) => !modelled.includes(p))
        .map((property) => ({
          property,
          reason: !model.properties
            ? `model version ${model.version} was saved without property models; the next design iteration trains one`
            : model.properties.missing.includes(property)
              ? `fewer than ${MIN_PROPERTY_ROWS} measured values when model version ${model.version} was trained`
              : `the objectives did not name it when model version ${model.version} was trained; the next design iteration trains one`,
        })),
    };
  }

  /** Predictions for valid compositions (see compositionInSpace), or null when there is no model yet. */
  async predict(
    campaign: { id: string; objectives: Objectives },
    compositions: Composition[],
    tx?: Tx,
  ): Promise<{ model: ModelRef; predictions: PredictionWithIntervals[]; properties: PropertyCoverage } | null> {
    const model = await this.activeModel(campaign.id, tx);
    if (!model) return null;
    const p = model.bundle.predict(compositions);
    const coverage = this.coverage(model, campaign.objectives);
    const all = model.properties?.regressors.predict(compositions) ?? {};
    const others = Object.fromEntries(coverage.modelled.map((q) => [q, all[q]]));
    const objectives: Objective[] = campaign.objectives.targets;
    const interval = (mean: number, std: number): [number, number] => [mean - Z95 * std, mean + Z95 * std];
    const predictions = compositions.map((_, i) => {
      const properties = Object.fromEntries(Object.entries(others).map(([q, c]) => [q, { mean: c.mean[i], std: c.std[i] }]));
      const single = { pGlass: p.pGlass[i], yieldMean: p.yieldMean[i], yieldStd: p.yieldStd[i], elongationMean: p.elongationMean[i], elongationStd: p.elongationStd[i], others: properties };
      const base = predictionOf({
        pGlass: single.pGlass,
        yieldStrengthMPa: { mean: single.yieldMean, std: single.yieldStd },
        elongationPct: { mean: single.elongationMean, std: single.elongationStd },
        properties,
        // Crystalline allowed: glass formation is no factor of success. A property without a model is no factor either (probabilityMet).
        successProbability: successProbability(campaign.objectives.requireGlass ? single : { ...single, pGlass: 1 }, objectives),
      });
      return {
        ...base,
        yieldStrengthInterval95: interval(single.yieldMean, single.yieldStd),
        elongationInterval95: interval(single.elongationMean, single.elongationStd),
        ...(coverage.modelled.length ? { propertyIntervals95: Object.fromEntries(Object.entries(properties).map(([q, v]) => [q, interval(v.mean, v.std)])) } : {}),
      };
    });
    return { model: { id: model.id, version: model.version, features: model.features }, predictions, properties: coverage };
  }
}
