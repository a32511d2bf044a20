import { Injectable } from '@nestjs/common';
import { Repository } from './database.js';

/**
 * Service logins on the embedded broker registered by other processes of the service (workers):
 * username and mosquitto-format password hash; a process removes its own when it stops.
 */
@Injectable()
export class BrokerServiceLoginRepository extends Repository {
  async add(username: string, passwordHash: string): Promise<void> {
    await this.dataSource.query(`INSERT INTO broker_service_login (username, password_hash) VALUES ($1, $2)`, [username, passwordHash]);
  }

  async passwordHash(username: string): Promise<string | null> {
    const rows = (await this.dataSource.query(`SELECT password_hash FROM broker_service_login WHERE username = $1`, [username])) as { password_hash: string }[];
    return rows[0]?.password_hash ?? null;
  }

  async remove(username: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM broker_service_login WHERE username = $1`, [username]);
  }
}
