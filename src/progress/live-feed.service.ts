import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Request, Response } from 'express';
import { filter, type Subscription } from 'rxjs';
import { CampaignEvents } from '../campaigns/campaign-events.js';

/**
 * Server-sent events per campaign: every CampaignEvents event whose campaignId matches (or is
 * null: fleet-wide events such as an instrument's state) is forwarded as it is (JSON in `data`, its `type` inside, so new event types need no change
 * here), with a comment line as heartbeat so proxies and clients keep the stream open.
 */
@Injectable()
export class LiveFeed implements OnModuleDestroy {
  /** Heartbeat period in ms (tests shorten it). */
  heartbeatMs = 15_000;
  private readonly open = new Set<() => void>();

  constructor(@Inject(CampaignEvents) private readonly events: CampaignEvents) {}

  get connections(): number {
    return this.open.size;
  }

  stream(campaignId: string, req: Request, res: Response): void {
    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    let seq = 0;
    res.write(`retry: 3000\n: campaign ${campaignId} live feed\n\n`);
    // the campaign's own events, and the fleet-wide ones (campaignId null, e.g. an instrument's state)
    const mine = (e: { campaignId?: string | null }) => e.campaignId === campaignId || e.campaignId === null;
    const subscription: Subscription = this.events.stream.pipe(filter(mine)).subscribe((event) => {
      res.write(`id: ${++seq}\ndata: ${JSON.stringify(event)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(`: heartbeat ${new Date().toISOString()}\n\n`), this.heartbeatMs);
    heartbeat.unref();
    const close = () => {
      if (!this.open.delete(close)) return;
      clearInterval(heartbeat);
      subscription.unsubscribe();
      if (!res.writableEnded) res.end();
    };
    this.open.add(close);
    req.on('close', close);
    res.on('error', close);
  }

  /** End open streams so the HTTP server can close. */
  onModuleDestroy(): void {
    for (const close of [...this.open]) close();
  }
}
