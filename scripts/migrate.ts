/**
 * Bring the database schema up to date and say what ran (the service also does this on every start).
 *
 *   npm run migration:run                  the configured database: DATABASE_URL, or the embedded PostgreSQL under DATA_DIR
 *   npm run migration:run -- --list        also list every migration with applied / pending before running
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres } from '../adapters/storage/embedded-postgres.js';
import { loadConfig } from '../src/config/config.js';
import { createDataSource } from '../src/repositories/data-source.js';
import { redact } from '../src/apps/infrastructure.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { list: { type: 'boolean', default: false } } });
  const config = loadConfig();
  const embedded =
    config.database.mode === 'embedded'
      ? await startEmbeddedPostgres({ dataDir: config.database.dataDir, port: config.database.port, log: (m) => console.log(m) })
      : null;
  const url = embedded ? embedded.url : config.database.mode === 'server' ? config.database.url : '';
  const dataSource = createDataSource(url, 2);
  try {
    await dataSource.initialize();
    console.log(`database: ${embedded ? `embedded PostgreSQL in ${embedded.dataDir}` : redact(url)}`);
    if (values.list) {
      const done = new Set<string>(
        (await dataSource.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`))[0].present
          ? (await dataSource.query(`SELECT name FROM schema_migrations`)).map((r: { name: string }) => r.name)
          : [],
      );
      for (const m of dataSource.migrations) console.log(`  ${done.has(m.name!) ? 'applied' : 'pending'}  ${m.name}`);
    }
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    console.log(
      applied.length > 0
        ? `applied ${applied.length} migration(s): ${applied.map((m) => m.name).join(', ')}`
        : `schema up to date (${dataSource.migrations.length} migrations, none pending)`,
    );
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((error) => {
  console.error(`migration:run failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
