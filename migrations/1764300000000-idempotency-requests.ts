import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An Idempotency-Key is bound to the request it first came with (a hash of its body): a retry
 * with the same body is a no-op, a reuse with another body a 422 (src/common/idempotency.ts).
 */
export class IdempotencyRequests1764300000000 implements MigrationInterface {
  name = 'IdempotencyRequests1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE idempotency_request (
        campaign_id uuid NOT NULL REFERENCES campaign (id) ON DELETE CASCADE,
        key text NOT NULL,
        request_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (campaign_id, key)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_request`);
  }
}
