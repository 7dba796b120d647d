import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { MfaChallengeEntity } from './mfa-challenge.entity';
import { MfaController } from './mfa.controller';
import { MfaRepository } from './mfa.repository';
import { MfaService } from './mfa.service';
import { TotpCredentialEntity } from './totp-credential.entity';

/**
 * TOTP and recovery codes (/me/mfa), and the second step of a sign-in. The guard asks it whether a
 * user is enrolled (workspaces that require MFA); the accounts module runs the sign-in steps.
 */
@Module({
  imports: [TypeOrmModule.forFeature([TotpCredentialEntity, MfaChallengeEntity]), RateLimitModule, UsersModule],
  controllers: [MfaController],
  providers: [MfaRepository, MfaService],
  exports: [MfaService],
})
export class MfaModule {}
