import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Queues } from '@tessera/queue';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { MailModule } from '../mail/mail.module';
import { OAuthModule } from '../oauth/oauth.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { AccountsService } from './accounts.service';
import { AuthController } from './auth.controller';
import { EmailChangeEntity } from './email-change.entity';
import { EmailChangeService } from './email-change.service';
import { EmailChangesRepository } from './email-changes.repository';
import { MeController } from './me.controller';
import { PasswordResetEntity } from './password-reset.entity';
import { PasswordResetService } from './password-reset.service';
import { PasswordResetsRepository } from './password-resets.repository';
import { RefreshTokenEntity } from './refresh-token.entity';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

/** Accounts and sign-in: registration, sessions (login, refresh, logout), password reset, e-mail changes. */
@Module({
  imports: [
    TypeOrmModule.forFeature([RefreshTokenEntity, PasswordResetEntity, EmailChangeEntity]),
    BullModule.registerQueue({ name: Queues.mail }),
    AuthModule,
    AuditModule,
    UsersModule,
    WorkspacesModule,
    ApiKeysModule,
    TokensModule,
    MailModule,
    OAuthModule,
    RateLimitModule,
  ],
  controllers: [AuthController, MeController],
  providers: [AccountsService, SessionsRepository, SessionsService, PasswordResetsRepository, PasswordResetService, EmailChangesRepository, EmailChangeService],
  exports: [SessionsService],
})
export class AccountsModule {}
