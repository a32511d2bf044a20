import { HttpException, HttpStatus, Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
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
  /** How often an open stream asks whether its key still may read it (tests shorten it). */
  recheckMs = 5_000;
  /** Open streams per key, at most. */
  maxPerKey = 10;
  private readonly open = new Set<() => void>();
  private readonly perKey = new Map<string, number>();

  constructor(@Inject(CampaignEvents) private readonly events: CampaignEvents) {}

  get connections(): number {
    return this.open.size;
  }

  /**
   * With `access`, the stream belongs to a key: at most `maxPerKey` at once (429 beyond), and it
   * ends (with an `end` event saying why) as soon as the key is revoked, expires or loses the campaign.
   */
  stream(campaignId: string, req: Request, res: Response, access?: { key: string; stillAllowed: () => Promise<boolean> }): void {
    if (access && (this.perKey.get(access.key) ?? 0) >= this.maxPerKey) {
      throw new HttpException(
        { statusCode: 429, error: 'Too Many Requests', message: `this key already has ${this.maxPerKey} live feeds open (the most one key may hold)` },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    if (access) this.perKey.set(access.key, (this.perKey.get(access.key) ?? 0) + 1);
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
    const recheck = access
      ? setInterval(() => {
          access.stillAllowed().then(
            (allowed) => {
              if (allowed || !this.open.has(close)) return;
              res.write(`event: end\ndata: ${JSON.stringify({ reason: 'the API key of this stream is no longer valid for this campaign' })}\n\n`);
              close();
            },
            () => undefined, // the database is away: keep the stream, ask again next time
          );
        }, this.recheckMs)
      : null;
    recheck?.unref();
    const close = () => {
      if (!this.open.delete(close)) return;
      clearInterval(heartbeat);
      if (recheck) clearInterval(recheck);
      if (access) {
        const n = (this.perKey.get(access.key) ?? 1) - 1;
        if (n > 0) this.perKey.set(access.key, n);
        else this.perKey.delete(access.key);
      }
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
