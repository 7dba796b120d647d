import { MigrationInterface, QueryRunner } from 'typeorm';

export class EmailVerified1765400200000 implements MigrationInterface {
  name = 'EmailVerified1765400200000';

  async up(q: QueryRunner): Promise<void> {
    // When the account last proved it reads its address (a confirmed e-mail change, a password
    // reset by e-mail); cleared when the address changes. The OpenID provider's email_verified.
    await q.query(`ALTER TABLE users ADD COLUMN email_verified_at timestamptz(3)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE users DROP COLUMN email_verified_at`);
  }
}
