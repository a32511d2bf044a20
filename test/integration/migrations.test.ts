import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataSource, openDatabase } from '../../src/repositories/data-source.js';
import { MIGRATIONS } from '../../src/repositories/entities.js';
import { createTestDatabase } from '../support/services.js';

describe('migrations on a real PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('create the whole schema from an empty database, once', async () => {
    const first = await openDatabase(db.url);
    expect(first.applied).toEqual(MIGRATIONS.map((m) => new m().name));
    expect(first.applied[0]).toBe('InitialSchema1764000000000');
    const tables: { table_name: string }[] = await first.dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(
      expect.arrayContaining([
        'agent_checkpoint', 'audit_event', 'background_job', 'campaign', 'experiment', 'instrument', 'instrument_job',
        'knowledge_cache', 'measurement', 'model_version', 'refinement_event', 'rejected_message', 'schema_migrations',
        'api_key', 'instrument_credential',
      ]),
    );
    // compositions are jsonb (queryable), not opaque strings
    const types: { column_name: string; data_type: string }[] = await first.dataSource.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name IN ('measurement','experiment') AND column_name = 'composition'`,
    );
    expect(types.map((t) => t.data_type)).toEqual(['jsonb', 'jsonb']);
    await first.dataSource.destroy();

    const second = await openDatabase(db.url);
    expect(second.applied).toEqual([]);
    await second.dataSource.destroy();
  });

  it('the entity mapping matches the migrated schema (no pending changes)', async () => {
    const ds = createDataSource(db.url);
    await ds.initialize();
    const pending = await ds.driver.createSchemaBuilder().log();
    // Index names and defaults may differ in spelling; columns and tables must not.
    const structural = pending.upQueries.filter((q) => /ADD COLUMN|DROP COLUMN|CREATE TABLE|ALTER COLUMN .* TYPE/i.test(q.query));
    expect(structural.map((q) => q.query)).toEqual([]);
    await ds.destroy();
  });

  it('objective directions: a campaign stored in the old form reads in the new one after the migration, and back', async () => {
    const ds = createDataSource(db.url);
    await ds.initialize();
    // Undo the later migrations and this one.
    const applied = async () => ((await ds.query(`SELECT name FROM schema_migrations`)) as { name: string }[]).map((r) => r.name);
    while ((await applied()).includes('ObjectiveDirections1764400000000')) await ds.undoLastMigration();
    const old = { requireGlass: true, targets: [{ property: 'yieldStrengthMPa', threshold: 1800, weight: 1 }, { property: 'elongationPct', threshold: 10 }] };
    const [{ id }] = await ds.query(
      `INSERT INTO campaign (name, status, design_space, objectives, budget, batch_size, seed, strategy)
       VALUES ('old form', 'draft', '{}'::jsonb, $1::jsonb, 8, 4, 1, '{}'::jsonb) RETURNING id`,
      [JSON.stringify(old)],
    );
    await ds.runMigrations();
    const [after] = await ds.query(`SELECT objectives FROM campaign WHERE id = $1`, [id]);
    expect(after.objectives).toEqual({
      requireGlass: true,
      targets: [
        { property: 'yieldStrengthMPa', direction: 'atLeast', threshold: 1800, weight: 1 },
        { property: 'elongationPct', direction: 'atLeast', threshold: 10, weight: 1 },
      ],
    });
    while ((await applied()).includes('ObjectiveDirections1764400000000')) await ds.undoLastMigration();
    const [back] = await ds.query(`SELECT objectives FROM campaign WHERE id = $1`, [id]);
    expect(back.objectives.targets.map((t: Record<string, unknown>) => t.direction)).toEqual([undefined, undefined]);
    await ds.runMigrations();
    await ds.query(`DELETE FROM campaign WHERE id = $1`, [id]);
    await ds.destroy();
  });

  it('revert cleanly', async () => {
    const ds = createDataSource(db.url);
    await ds.initialize();
    for (let i = 0; i < MIGRATIONS.length; i++) await ds.undoLastMigration();
    const tables: unknown[] = await ds.query(
      `SELECT 1 FROM information_schema.tables WHERE table_schema = 'public' AND table_name IN ('campaign', 'api_key', 'instrument_credential')`,
    );
    expect(tables).toHaveLength(0);
    await ds.destroy();
  });
});
