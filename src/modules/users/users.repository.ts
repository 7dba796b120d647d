import { Injectable } from '@nestjs/common';
import { Database } from '@tessera/database';
import { UserEntity } from './user.entity';

/** The only code that touches the users table. Users are global (not workspace-owned). */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: Database) {}

  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  private repo() {
    return this.db.repository(UserEntity);
  }

  findById(id: string): Promise<UserEntity | null> {
    return this.repo().findOneBy({ id });
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.repo().findOneBy({ email: email.toLowerCase() });
  }

  /** The user with the password hash, for sign-in and password changes only. */
  findWithPasswordByEmail(email: string): Promise<UserEntity | null> {
    return this.repo()
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: email.toLowerCase() })
      .getOne();
  }

  async isOperator(id: string): Promise<boolean> {
    const rows: Array<{ is_operator: boolean }> = await this.db.query(`SELECT is_operator FROM users WHERE id = $1`, [id]);
    return rows[0]?.is_operator === true;
  }

  async getPasswordHash(id: string): Promise<string | null> {
    const row = await this.repo().createQueryBuilder('u').addSelect('u.passwordHash').where('u.id = :id', { id }).getOne();
    return row?.passwordHash ?? null;
  }

  /** Locks the account row until the transaction ends (serialises changes to who may manage it). */
  async lockForUpdate(id: string): Promise<void> {
    await this.db.query(`SELECT id FROM users WHERE id = $1 FOR UPDATE`, [id]);
  }

  async insert(user: UserEntity): Promise<UserEntity> {
    await this.repo().insert(user);
    return user;
  }

  async update(id: string, patch: Partial<Pick<UserEntity, 'name' | 'email' | 'passwordHash' | 'emailVerifiedAt'>>): Promise<void> {
    await this.repo().update({ id }, { ...patch, updatedAt: new Date() });
  }
}
