import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RejectedMessageEntity } from '../../repositories/entities/rejected-message.entity.js';
import { RejectedMessageRepository } from '../../repositories/rejected-message.repository.js';

/** The rejected-message store: anything that failed validation, verbatim with its reason. */
@Injectable()
export class RejectedStore {
  private readonly log = new Logger('Rejected');
  constructor(@Inject(RejectedMessageRepository) private readonly repo: RejectedMessageRepository) {}

  async record(entry: {
    channel: 'mqtt' | 'rest' | 'import';
    topic?: string | null;
    instrumentId?: string | null;
    campaignId?: string | null;
    payload: Buffer | string;
    reason: string;
  }): Promise<RejectedMessageEntity> {
    const text = typeof entry.payload === 'string' ? entry.payload : toText(entry.payload);
    // PostgreSQL text cannot hold NUL: a reason quoting a NUL-laden id failed the insert, and with it
    // the whole result batch the message came in (found by test/integration/fuzz.test.ts).
    const reason = entry.reason.replaceAll('\u0000', '\\u0000');
    this.log.warn(`${entry.channel}${entry.topic ? ` ${entry.topic}` : ''}: ${entry.reason}`);
    return this.repo.save({
      channel: entry.channel,
      topic: entry.topic ?? null,
      instrumentId: entry.instrumentId ?? null,
      campaignId: entry.campaignId ?? null,
      payload: text.includes('\u0000') ? `base64:${Buffer.from(text, 'utf8').toString('base64')}` : text,
      reason,
    });
  }
}

/** UTF-8 text when the bytes are valid UTF-8, else base64 marked as such: verbatim either way. */
export function toText(payload: Buffer): string {
  const text = payload.toString('utf8');
  return Buffer.from(text, 'utf8').equals(payload) ? text : `base64:${payload.toString('base64')}`;
}

export function fromText(text: string): Buffer {
  return text.startsWith('base64:') ? Buffer.from(text.slice(7), 'base64') : Buffer.from(text, 'utf8');
}
