import type { MigrationInterface, QueryRunner } from 'typeorm';

/** API keys (hashed, roles, campaign limits, expiry, revocation) and instrument MQTT credentials. */
export class ApiKeys1764100000000 implements MigrationInterface {
  name = 'ApiKeys1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_key (
        id text PRIMARY KEY CHECK (id ~ '^[a-z0-9]{12}$'),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        role text NOT NULL CHECK (role IN ('admin','pi','technician','instrument','viewer')),
        campaign_ids uuid[],
        key_hash text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
        source text NOT NULL CHECK (source IN ('api','bootstrap','config')),
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        revoked_at timestamptz,
        revoked_by text,
        last_used_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX api_key_hash_uq ON api_key (key_hash)`);
    await q.query(`
      CREATE TABLE instrument_credential (
        instrument_id text PRIMARY KEY CHECK (instrument_id ~ '^[A-Za-z0-9_-]{1,64}$'),
        password_hash text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS instrument_credential`);
    await q.query(`DROP TABLE IF EXISTS api_key`);
  }
}
