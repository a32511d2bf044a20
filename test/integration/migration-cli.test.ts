import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../src/repositories/entities.js';
import { ROOT } from '../support/processes.js';
import { createTestDatabase } from '../support/services.js';

/** `npm run migration:run` on a real, empty database: every migration once, then nothing pending. */
describe('npm run migration:run', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  const run = (...args: string[]) =>
    execFileSync('npm', ['run', '--silent', 'migration:run', '--', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url },
      encoding: 'utf8',
    });

  it('applies every migration on an empty database, then finds none pending', () => {
    const names = MIGRATIONS.map((m) => new m().name!);
    const first = run('--list');
    for (const name of names) expect(first).toContain(`pending  ${name}`);
    expect(first).toContain(`applied ${names.length} migration(s): ${names.join(', ')}`);
    const second = run('--list');
    for (const name of names) expect(second).toContain(`applied  ${name}`);
    expect(second).toContain(`schema up to date (${names.length} migrations, none pending)`);
  });
});
