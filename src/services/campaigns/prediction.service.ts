import { Inject, Injectable } from '@nestjs/common';
import type { Objectives } from '../../repositories/entities/campaign.entity.js';
import type { Composition } from '../../core/chemistry/types.js';
import { successProbability } from '../../core/aimatdesign/proposals.js';
import type { Objective } from '../../core/domain/objectives.js';
import { SurrogateBundle, type BundleJSON } from '../../core/surrogates/bundle.js';
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

/** A prediction with the 95 % intervals of the two properties (mean ± 1.96 sd of the surrogates). */
export interface PredictionWithIntervals extends Prediction {
  yieldStrengthInterval95: [number, number];
  elongationInterval95: [number, number];
}

/**
 * Predictions of a campaign's current surrogates (its active model version) for compositions a
 * PI names: for POST /campaigns/{id}/predict, a PI's own experiment and an edited proposal.
 */
@Injectable()
export class PredictionService {
  private readonly bundles = new Map<string, SurrogateBundle>();

  constructor(@Inject(ModelRepository) private readonly models: ModelRepository) {}

  /** The campaign's active surrogate model version, or null before the first one is trained. */
  async activeModel(campaignId: string, tx?: Tx): Promise<(ModelRef & { bundle: SurrogateBundle }) | null> {
    const row = await this.models.activeSurrogates(campaignId, tx);
    if (!row) return null;
    let bundle = this.bundles.get(row.id);
    if (!bundle) {
      bundle = SurrogateBundle.fromJSON((await this.models.artifact(row.id, tx)) as BundleJSON);
      this.bundles.set(row.id, bundle);
      if (this.bundles.size > CACHED_MODELS) this.bundles.delete(this.bundles.keys().next().value!);
    }
    return { id: row.id, version: row.version, features: row.features, bundle };
  }

  /** Predictions for valid compositions (see compositionInSpace), or null when there is no model yet. */
  async predict(
    campaign: { id: string; objectives: Objectives },
    compositions: Composition[],
    tx?: Tx,
  ): Promise<{ model: ModelRef; predictions: PredictionWithIntervals[] } | null> {
    const model = await this.activeModel(campaign.id, tx);
    if (!model) return null;
    const p = model.bundle.predict(compositions);
    const objectives: Objective[] = campaign.objectives.targets;
    const predictions = compositions.map((_, i) => {
      const single = { pGlass: p.pGlass[i], yieldMean: p.yieldMean[i], yieldStd: p.yieldStd[i], elongationMean: p.elongationMean[i], elongationStd: p.elongationStd[i] };
      const base = predictionOf({
        pGlass: single.pGlass,
        yieldStrengthMPa: { mean: single.yieldMean, std: single.yieldStd },
        elongationPct: { mean: single.elongationMean, std: single.elongationStd },
        // Crystalline allowed: glass formation is no factor of success.
        successProbability: successProbability(campaign.objectives.requireGlass ? single : { ...single, pGlass: 1 }, objectives),
      });
      return {
        ...base,
        yieldStrengthInterval95: [single.yieldMean - Z95 * single.yieldStd, single.yieldMean + Z95 * single.yieldStd] as [number, number],
        elongationInterval95: [single.elongationMean - Z95 * single.elongationStd, single.elongationMean + Z95 * single.elongationStd] as [number, number],
      };
    });
    return { model: { id: model.id, version: model.version, features: model.features }, predictions };
  }
}
