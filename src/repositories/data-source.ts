import { DataSource } from 'typeorm';
import { ENTITIES, MIGRATIONS } from './entities.js';

export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    extra: { max: poolSize, connectionTimeoutMillis: 5000 },
  });
}

/** Connect and bring the schema up to date; returns the migrations that ran. */
export async function openDatabase(url: string, poolSize = 10): Promise<{ dataSource: DataSource; applied: string[] }> {
  const dataSource = createDataSource(url, poolSize);
  await dataSource.initialize();
  const applied = await dataSource.runMigrations({ transaction: 'each' });
  return { dataSource, applied: applied.map((m) => m.name) };
}
