import { UnprocessableEntityException } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** The same request, whatever the order of its JSON keys: SHA-256 of its canonical JSON. */
export function requestHash(request: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(request)) ?? 'undefined').digest('hex');
}

/**
 * Bind an Idempotency-Key (per campaign) to the request it first came with, inside the writing
 * transaction: the first use records the request's hash; a retry with the same request passes (the
 * writer then stores nothing twice); the same key with another request is a 422 and writes nothing.
 */
export async function claimIdempotencyKey(m: EntityManager, campaignId: string, key: string, hash: string): Promise<'first' | 'retry'> {
  const inserted = (await m.query(
    `INSERT INTO idempotency_request (campaign_id, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING key`,
    [campaignId, key, hash],
  )) as unknown[];
  if (inserted.length > 0) return 'first';
  const [stored] = (await m.query(`SELECT request_hash FROM idempotency_request WHERE campaign_id = $1 AND key = $2`, [campaignId, key])) as {
    request_hash: string;
  }[];
  if (stored?.request_hash === hash) return 'retry';
  throw new UnprocessableEntityException({
    statusCode: 422,
    error: 'Unprocessable Entity',
    message: `Idempotency-Key "${key}" was already used in this campaign with a different request; nothing was stored (send a new key for new data)`,
  });
}
