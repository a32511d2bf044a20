import { Injectable } from '@nestjs/common';
import { Subject } from 'rxjs';

/** In-process domain events; the loop, the live feed and the dashboard subscribe. */
export type CampaignEvent =
  | { type: 'campaign.state'; campaignId: string; from: string; to: string; actor: string; at: string }
  | { type: 'measurements.added'; campaignId: string; count: number; source: string; at: string };

@Injectable()
export class CampaignEvents {
  readonly stream = new Subject<CampaignEvent>();
  emit(event: CampaignEvent): void {
    this.stream.next(event);
  }
}
