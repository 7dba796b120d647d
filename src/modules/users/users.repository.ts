import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { UserEntity } from './user.entity';

/** The only code that touches the users table. Users are global (not workspace-owned). */
@Injectable()
export class UsersRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  private repo(tx?: EntityManager) {
    return (tx ?? this.ds.manager).getRepository(UserEntity);
  }

  findById(id: string, tx?: EntityManager): Promise<UserEntity | null> {
    return this.repo(tx).findOneBy({ id });
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

  async getPasswordHash(id: string): Promise<string | null> {
    const row = await this.repo().createQueryBuilder('u').addSelect('u.passwordHash').where('u.id = :id', { id }).getOne();
    return row?.passwordHash ?? null;
  }

  async insert(user: UserEntity, tx?: EntityManager): Promise<UserEntity> {
    await this.repo(tx).insert(user);
    return user;
  }

  async update(id: string, patch: Partial<Pick<UserEntity, 'name' | 'email' | 'passwordHash'>>, tx?: EntityManager): Promise<void> {
    await this.repo(tx).update({ id }, { ...patch, updatedAt: new Date() });
  }
}
