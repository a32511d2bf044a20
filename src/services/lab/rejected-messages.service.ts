import { Inject, Injectable } from '@nestjs/common';
import { AuditService } from '../campaigns/audit.service.js';
import { IllegalTransition, Invalid, NotFound } from '../../common/errors.js';
import { InstrumentGatewayService, type HandleOptions } from './instrument-gateway.service.js';
import { fromText } from './lab-messages.service.js';
import { RejectedMessageRepository } from '../../repositories/rejected-message.repository.js';
import type { RejectedMessageEntity } from '../../repositories/entities/rejected-message.entity.js';

/** What a PI does with the rejected-message store: list, replay after a fix, dismiss. */
@Injectable()
export class RejectedMessagesService {
  constructor(
    @Inject(RejectedMessageRepository) private readonly repo: RejectedMessageRepository,
    @Inject(InstrumentGatewayService) private readonly gateway: InstrumentGatewayService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  list(filter: { status?: string; channel?: string; campaignId?: string }, limit: number, offset: number) {
    return this.repo.page(filter, limit, offset);
  }

  private async pending(id: string): Promise<RejectedMessageEntity> {
    const message = await this.repo.findById(id);
    if (!message) throw new NotFound('rejected message', id);
    if (message.status !== 'pending') throw new IllegalTransition(`rejected message ${id} is ${message.status}`);
    return message;
  }

  /**
   * Run a stored MQTT message (or a fixed payload in its place) through the same handler as when
   * it arrived; `authorize` is asked what the replay writes before anything is written.
   */
  async replay(id: string, fixedPayload: string | undefined, actor: string, authorize: HandleOptions['authorize']) {
    const message = await this.pending(id);
    if (message.channel !== 'mqtt' || !message.topic) {
      throw new Invalid(`only MQTT messages can be replayed; re-send ${message.channel} data through its endpoint`);
    }
    const payload = fixedPayload !== undefined ? Buffer.from(fixedPayload, 'utf8') : fromText(message.payload);
    const outcome = await this.gateway.handle(message.topic, payload, { record: false, authorize });
    const result = outcome.ok ? outcome.detail : outcome.reason;
    await this.repo.update(id, { status: outcome.ok ? 'replayed' : 'pending', replayCount: message.replayCount + 1, lastReplayResult: result });
    await this.audit.record({
      entityType: 'rejected_message', entityId: id, campaignId: message.campaignId, action: 'replay',
      fromState: 'pending', toState: outcome.ok ? 'replayed' : 'pending', cause: result, actor,
      details: { fixedPayload: fixedPayload !== undefined },
    });
    return { ok: outcome.ok, result, message: await this.repo.findById(id) };
  }

  async dismiss(id: string, reason: string | undefined, actor: string) {
    await this.pending(id);
    await this.repo.update(id, { status: 'dismissed', lastReplayResult: reason ?? 'dismissed' });
    await this.audit.record({ entityType: 'rejected_message', entityId: id, action: 'dismiss', fromState: 'pending', toState: 'dismissed', cause: reason ?? null, actor });
    return this.repo.findById(id);
  }
}
