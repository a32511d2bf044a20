import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Objectives for any measured property (issue 16): every stored target says its direction. A
 * target stored before, `{property, threshold, weight}`, meant "at least threshold": it gets
 * `"direction": "atLeast"` (and weight 1 when it had none). Down removes the direction of "at
 * least" targets again; targets of the other directions have no old form and stay as they are.
 */
export class ObjectiveDirections1764400000000 implements MigrationInterface {
  name = 'ObjectiveDirections1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE campaign SET objectives = jsonb_set(objectives, '{targets}', (
        SELECT coalesce(jsonb_agg(
                 CASE WHEN t ? 'direction' THEN t
                      ELSE t || jsonb_build_object('direction', 'atLeast', 'weight', coalesce(t->'weight', '1'::jsonb)) END
                 ORDER BY ord), '[]'::jsonb)
          FROM jsonb_array_elements(objectives->'targets') WITH ORDINALITY AS x(t, ord)))
       WHERE jsonb_typeof(objectives->'targets') = 'array'
         AND EXISTS (SELECT 1 FROM jsonb_array_elements(objectives->'targets') t WHERE NOT t ? 'direction')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      UPDATE campaign SET objectives = jsonb_set(objectives, '{targets}', (
        SELECT coalesce(jsonb_agg(CASE WHEN t->>'direction' = 'atLeast' THEN t - 'direction' ELSE t END ORDER BY ord), '[]'::jsonb)
          FROM jsonb_array_elements(objectives->'targets') WITH ORDINALITY AS x(t, ord)))
       WHERE jsonb_typeof(objectives->'targets') = 'array'`);
  }
}
