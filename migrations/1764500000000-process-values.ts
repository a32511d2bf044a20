import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Process variables (issue 16): an experiment stores the process values it was proposed with (and
 * dispatched with), a measurement the process the instrument reports it used. NULL: none (a
 * campaign without process variables, seed data, a protocol-1.0 instrument).
 */
export class ProcessValues1764500000000 implements MigrationInterface {
  name = 'ProcessValues1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE experiment ADD COLUMN process jsonb`);
    await q.query(`ALTER TABLE measurement ADD COLUMN process jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE measurement DROP COLUMN process`);
    await q.query(`ALTER TABLE experiment DROP COLUMN process`);
  }
}
