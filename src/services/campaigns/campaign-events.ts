import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

/** In-process domain events; the loop, the live feed and the dashboard subscribe. */
export type CampaignEvent =
  | { type: 'campaign.state'; campaignId: string; from: string; to: string; actor: string; at: string }
  | { type: 'campaign.settings'; campaignId: string; fields: string[]; actor: string; at: string }
  | { type: 'measurements.added'; campaignId: string; count: number; source: string; at: string; experimentId?: string; measurementId?: string }
  | { type: 'experiment.state'; campaignId: string; experimentId: string; sequence: number; from: string; to: string; cause: string | null; at: string }
  | { type: 'proposals.created'; campaignId: string; batchNumber: number; count: number; experimentIds: string[]; at: string }
  | { type: 'refinement.event'; campaignId: string; refinementEventId: string; accepted: boolean; reason: string; at: string }
  | { type: 'model.trained'; campaignId: string; modelVersionId: string; version: number; at: string }
  | { type: 'instrument.state'; campaignId: null; instrumentId: string; state: string; at: string };

@Injectable()
export class CampaignEvents {
  readonly stream = new Subject<CampaignEvent>();
  emit(event: CampaignEvent): void {
    this.stream.next(event);
  }
}
