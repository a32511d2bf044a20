import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The service's own logins on the embedded broker besides the API's in-memory one: a worker on the
 * API's embedded broker (MQTT_AUTH=on) registers a login of its own here (only a mosquitto-format
 * hash), and the API's broker accepts it with the service's rights.
 */
export class BrokerServiceLogins1764610000000 implements MigrationInterface {
  name = 'BrokerServiceLogins1764610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE broker_service_login (username text PRIMARY KEY, password_hash text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE broker_service_login`);
  }
}
