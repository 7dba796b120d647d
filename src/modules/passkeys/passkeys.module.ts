import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { BrowserSessionsModule } from '../sessions/browser-sessions.module';
import { UsersModule } from '../users/users.module';
import { PasskeyEntity } from './passkey.entity';
import { MePasskeysController, PasskeySignInController } from './passkeys.controller';
import { PasskeysRepository } from './passkeys.repository';
import { PasskeysService } from './passkeys.service';

/** Passkeys: registration, list, rename and removal under /me/passkeys; sign-in under /auth/passkeys. */
@Module({
  imports: [TypeOrmModule.forFeature([PasskeyEntity]), RateLimitModule, UsersModule, BrowserSessionsModule],
  controllers: [MePasskeysController, PasskeySignInController],
  providers: [PasskeysRepository, PasskeysService],
  exports: [PasskeysService],
})
export class PasskeysModule {}
