import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: campaigns, experiments and their dispatches, measurements, instruments,
 *  model versions, agent checkpoints, refinement events, rejected messages, audit trail, jobs. */
export class InitialSchema1764000000000 implements MigrationInterface {
  name = 'InitialSchema1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS pgcrypto`);
    await q.query(`
      CREATE TABLE campaign (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        description text NOT NULL DEFAULT '',
        status text NOT NULL CHECK (status IN ('draft','running','paused','completed','aborted')),
        design_space jsonb NOT NULL,
        objectives jsonb NOT NULL,
        budget int NOT NULL CHECK (budget > 0),
        batch_size int NOT NULL CHECK (batch_size > 0),
        seed int NOT NULL,
        strategy jsonb NOT NULL DEFAULT '{}',
        approval_required boolean NOT NULL DEFAULT false,
        created_by text,
        completion_reason text,
        started_at timestamptz,
        finished_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        row_version int NOT NULL DEFAULT 1
      )`);
    await q.query(`CREATE INDEX campaign_status_idx ON campaign (status, created_at DESC)`);

    await q.query(`
      CREATE TABLE experiment (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        sequence int NOT NULL,
        batch_number int NOT NULL,
        status text NOT NULL CHECK (status IN ('proposed','approved','queued','dispatched','accepted','running','measured','rejected','failed','timed_out','cancelled','abandoned')),
        composition jsonb NOT NULL,
        formula text NOT NULL,
        elements text[] NOT NULL,
        prediction jsonb,
        model_version_id uuid,
        current_job_id text,
        instrument_id text,
        attempts int NOT NULL DEFAULT 0,
        deadline timestamptz,
        status_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        row_version int NOT NULL DEFAULT 1,
        UNIQUE (campaign_id, sequence)
      )`);
    await q.query(`CREATE INDEX experiment_campaign_status_idx ON experiment (campaign_id, status)`);
    await q.query(`CREATE INDEX experiment_composition_idx ON experiment USING gin (composition jsonb_path_ops)`);

    await q.query(`
      CREATE TABLE instrument (
        id text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_-]{1,64}$'),
        state text NOT NULL CHECK (state IN ('online','busy','error','offline')),
        capabilities jsonb NOT NULL,
        status_at timestamptz,
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        last_status jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await q.query(`
      CREATE TABLE instrument_job (
        job_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        experiment_id uuid NOT NULL REFERENCES experiment(id) ON DELETE CASCADE,
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        instrument_id text NOT NULL,
        attempt int NOT NULL,
        status text NOT NULL,
        stages text[] NOT NULL,
        dispatched_at timestamptz NOT NULL,
        deadline timestamptz NOT NULL,
        last_event_at timestamptz,
        last_event jsonb,
        finished_at timestamptz
      )`);
    await q.query(`CREATE INDEX instrument_job_experiment_idx ON instrument_job (experiment_id)`);
    await q.query(`CREATE INDEX instrument_job_open_idx ON instrument_job (instrument_id) WHERE finished_at IS NULL`);

    await q.query(`
      CREATE TABLE measurement (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        experiment_id uuid REFERENCES experiment(id) ON DELETE SET NULL,
        source text NOT NULL CHECK (source IN ('seed','instrument','technician')),
        instrument_id text,
        job_id text,
        external_id text,
        idempotency_key text,
        name text,
        composition jsonb NOT NULL,
        formula text NOT NULL,
        elements text[] NOT NULL,
        phase text CHECK (phase IS NULL OR phase IN ('amorphous','partially_crystalline','crystalline')),
        is_glass boolean,
        yield_strength_mpa double precision CHECK (yield_strength_mpa IS NULL OR yield_strength_mpa >= 0),
        elongation_pct double precision CHECK (elongation_pct IS NULL OR elongation_pct >= 0),
        extra jsonb NOT NULL DEFAULT '{}',
        raw jsonb,
        composition_deviation double precision,
        flags text[] NOT NULL DEFAULT '{}',
        measured_at timestamptz,
        entered_by text,
        revision int NOT NULL DEFAULT 1,
        supersedes_id uuid REFERENCES measurement(id),
        is_current boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX measurement_campaign_idx ON measurement (campaign_id, created_at) WHERE is_current`);
    await q.query(`CREATE INDEX measurement_experiment_idx ON measurement (experiment_id)`);
    await q.query(`CREATE INDEX measurement_composition_idx ON measurement USING gin (composition jsonb_path_ops)`);
    // Idempotency: an instrument's measurementId is stored once; a client's idempotency key once per campaign.
    await q.query(`CREATE UNIQUE INDEX measurement_instrument_external_uq ON measurement (instrument_id, external_id) WHERE external_id IS NOT NULL AND revision = 1`);
    await q.query(`CREATE UNIQUE INDEX measurement_idempotency_uq ON measurement (campaign_id, idempotency_key) WHERE idempotency_key IS NOT NULL`);

    await q.query(`
      CREATE TABLE model_version (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        campaign_id uuid REFERENCES campaign(id) ON DELETE CASCADE,
        version int NOT NULL,
        kind text NOT NULL,
        features text[] NOT NULL,
        hyperparameters jsonb NOT NULL,
        metrics jsonb NOT NULL,
        data_counts jsonb NOT NULL,
        seed int NOT NULL,
        trigger text NOT NULL,
        is_active boolean NOT NULL DEFAULT false,
        training_seconds double precision,
        artifact jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX model_version_campaign_version_uq ON model_version (campaign_id, kind, version)`);

    await q.query(`
      CREATE TABLE agent_checkpoint (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        model_version_id uuid REFERENCES model_version(id) ON DELETE SET NULL,
        iteration int NOT NULL,
        config jsonb NOT NULL,
        training_curve jsonb NOT NULL,
        weights jsonb NOT NULL,
        env_steps int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX agent_checkpoint_campaign_idx ON agent_checkpoint (campaign_id, iteration DESC)`);

    await q.query(`
      CREATE TABLE refinement_event (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        campaign_id uuid NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
        iteration int NOT NULL,
        reason text NOT NULL,
        correlation_before double precision,
        correlation_after double precision,
        variance double precision,
        features_before text[] NOT NULL,
        features_chosen text[] NOT NULL,
        rationale text NOT NULL,
        provider text NOT NULL,
        metrics_before jsonb NOT NULL,
        metrics_after jsonb,
        accepted boolean NOT NULL,
        model_version_id uuid REFERENCES model_version(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refinement_event_campaign_idx ON refinement_event (campaign_id, created_at)`);

    await q.query(`
      CREATE TABLE rejected_message (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        channel text NOT NULL,
        topic text,
        instrument_id text,
        campaign_id uuid REFERENCES campaign(id) ON DELETE SET NULL,
        payload text NOT NULL,
        reason text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','replayed','dismissed')),
        replay_count int NOT NULL DEFAULT 0,
        last_replay_result text,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX rejected_message_status_idx ON rejected_message (status, received_at DESC)`);

    await q.query(`
      CREATE TABLE audit_event (
        id bigserial PRIMARY KEY,
        entity_type text NOT NULL,
        entity_id text NOT NULL,
        campaign_id uuid,
        action text NOT NULL,
        from_state text,
        to_state text,
        cause text,
        actor text NOT NULL,
        details jsonb NOT NULL DEFAULT '{}',
        at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX audit_event_entity_idx ON audit_event (entity_type, entity_id, id)`);
    await q.query(`CREATE INDEX audit_event_campaign_idx ON audit_event (campaign_id, id)`);

    await q.query(`
      CREATE TABLE background_job (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL,
        campaign_id uuid REFERENCES campaign(id) ON DELETE CASCADE,
        dedupe_key text,
        state text NOT NULL CHECK (state IN ('queued','running','completed','failed')),
        backend text NOT NULL,
        progress double precision NOT NULL DEFAULT 0,
        progress_message text,
        attempts int NOT NULL DEFAULT 0,
        max_attempts int NOT NULL DEFAULT 3,
        input jsonb NOT NULL DEFAULT '{}',
        result jsonb,
        error text,
        started_at timestamptz,
        finished_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX background_job_campaign_idx ON background_job (campaign_id, created_at DESC)`);
    // At most one queued job per dedupe key: a burst of triggers coalesces into one job.
    await q.query(`CREATE UNIQUE INDEX background_job_queued_dedupe_uq ON background_job (dedupe_key) WHERE state = 'queued' AND dedupe_key IS NOT NULL`);

    await q.query(`
      CREATE TABLE knowledge_cache (
        key text PRIMARY KEY,
        formula text NOT NULL,
        prompt_version text NOT NULL,
        model text NOT NULL,
        response jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of [
      'knowledge_cache', 'background_job', 'audit_event', 'rejected_message', 'refinement_event',
      'agent_checkpoint', 'model_version', 'measurement', 'instrument_job', 'instrument', 'experiment', 'campaign',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
