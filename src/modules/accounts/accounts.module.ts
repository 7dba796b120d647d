import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Queues } from '@tessera/queue';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { AuditModule } from '../audit/audit.module';
import { AuthModule } from '../auth/auth.module';
import { MailModule } from '../mail/mail.module';
import { MfaModule } from '../mfa/mfa.module';
import { BrowserSessionsModule } from '../sessions/browser-sessions.module';
import { MeSessionsController } from './me-sessions.controller';
import { MagicLinkEntity } from './magic-link.entity';
import { MagicLinkService } from './magic-link.service';
import { MagicLinksRepository } from './magic-links.repository';
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

/** Accounts and sign-in: registration, sessions (login, refresh, logout, browser sessions, the MFA step), magic links, password reset, e-mail changes. */
@Module({
  imports: [
    TypeOrmModule.forFeature([RefreshTokenEntity, PasswordResetEntity, EmailChangeEntity, MagicLinkEntity]),
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
    BrowserSessionsModule,
    MfaModule,
  ],
  controllers: [AuthController, MeController, MeSessionsController],
  providers: [AccountsService, SessionsRepository, SessionsService, PasswordResetsRepository, PasswordResetService, EmailChangesRepository, EmailChangeService, MagicLinksRepository, MagicLinkService],
  exports: [SessionsService, MagicLinkService],
})
export class AccountsModule {}
