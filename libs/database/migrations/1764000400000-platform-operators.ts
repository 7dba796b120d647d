import { MigrationInterface, QueryRunner } from 'typeorm';

export class PlatformOperators1764000400000 implements MigrationInterface {
  name = 'PlatformOperators1764000400000';

  async up(q: QueryRunner): Promise<void> {
    // Set by `npm run operator -- grant EMAIL` on the server, never through the API.
    await q.query(`ALTER TABLE users ADD COLUMN is_operator boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN is_operator`);
  }
}
