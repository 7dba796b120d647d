import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ApiError, newId } from '@tessera/common';
import { isUniqueViolation } from '@tessera/database';
import { hashPassword, verifyPassword } from './password-hasher';
import { UserEntity } from './user.entity';
import { UsersRepository } from './users.repository';

/** Accounts: who people are and how they prove it. Membership lives in the workspaces module. */
@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  /** Runs `work` in one transaction (joined by every repository call inside it). */
  transaction<T>(work: () => Promise<T>): Promise<T> {
    return this.users.transaction(work);
  }

  async findById(id: string): Promise<UserEntity> {
    const user = await this.users.findById(id);
    if (!user) throw ApiError.notFound('User');
    return user;
  }

  isOperator(id: string): Promise<boolean> {
    return this.users.isOperator(id);
  }

  /** Inside a transaction: holds the account row until it ends. */
  lockForUpdate(id: string): Promise<void> {
    return this.users.lockForUpdate(id);
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.users.findByEmail(email);
  }

  /**
   * Inserts an account whose password was hashed beforehand (hashPassword): argon2 takes ~10 ms of
   * CPU and must never run while a transaction holds a connection.
   */
  async create(input: { name: string; email: string; passwordHash: string }): Promise<UserEntity> {
    const now = new Date();
    const user = Object.assign(new UserEntity(), {
      id: newId('usr'),
      name: input.name.trim(),
      email: input.email.trim().toLowerCase(),
      passwordHash: input.passwordHash,
      createdAt: now,
      updatedAt: now,
    });
    try {
      await this.users.insert(user);
    } catch (err) {
      if (isUniqueViolation(err)) throw ApiError.conflict('An account with this e-mail already exists.', { email: ['has already been taken'] });
      throw err;
    }
    const { passwordHash: _, ...visible } = user;
    return Object.assign(new UserEntity(), visible);
  }

  /** The user whose e-mail and password match, else null; both failure paths cost one argon2 verification. */
  async verifyCredentials(email: string, password: string): Promise<UserEntity | null> {
    const user = await this.users.findWithPasswordByEmail(email.trim());
    const ok = await verifyPassword(user?.passwordHash ?? null, password);
    return ok && user ? user : null;
  }

  async updateProfile(id: string, patch: { name?: string; email?: string }): Promise<UserEntity> {
    const changes: { name?: string; email?: string; emailVerifiedAt?: null } = {};
    if (patch.name !== undefined) changes.name = patch.name.trim();
    if (patch.email !== undefined) changes.email = patch.email.trim().toLowerCase();
    // A new address is unproven until its owner shows they read it (markEmailVerified).
    if (changes.email !== undefined) {
      const current = await this.users.findById(id);
      if (current && current.email !== changes.email) changes.emailVerifiedAt = null;
    }
    if (Object.keys(changes).length) {
      try {
        await this.users.update(id, changes);
      } catch (err) {
        if (isUniqueViolation(err)) throw ApiError.conflict('An account with this e-mail already exists.', { email: ['has already been taken'] });
        throw err;
      }
    }
    const user = await this.users.findById(id);
    if (!user) throw ApiError.notFound('User');
    return user;
  }

  /** 422 unless `currentPassword` is given and is the account's password. */
  async assertCurrentPassword(id: string, currentPassword: string | undefined, toChange: string): Promise<void> {
    if (!currentPassword) throw ApiError.validation({ current_password: [`is required to change ${toChange}`] });
    const ok = await verifyPassword(await this.users.getPasswordHash(id), currentPassword);
    if (!ok) throw ApiError.validation({ current_password: ['is not the current password'] });
  }

  /** The account has just shown it reads its address (a token mailed to it came back). */
  async markEmailVerified(id: string): Promise<void> {
    await this.users.update(id, { emailVerifiedAt: new Date() });
  }

  /**
   * A digest of the account's stored password hash (never the hash itself): it changes whenever
   * the password is set, so a sign-in can tell later whether the password it used still holds.
   * Null when the account is gone.
   */
  async passwordStamp(id: string): Promise<string | null> {
    const hash = await this.users.getPasswordHash(id);
    return hash === null ? null : this.passwordStampOf(hash);
  }

  /**
   * The stamp of a hash already read: a sign-in takes it from the hash its password was verified
   * against (verifyCredentials' user), not from one read again afterwards, which a password
   * changed in between would already be.
   */
  passwordStampOf(passwordHash: string): string {
    return createHash('sha256').update(passwordHash).digest('base64url');
  }

  async setPassword(id: string, newPassword: string): Promise<void> {
    await this.users.update(id, { passwordHash: await hashPassword(newPassword) });
  }
}
