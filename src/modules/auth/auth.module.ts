import { Module } from '@nestjs/common';
import { BullModule } from '@nestjs/bullmq';
import { JwtModule } from '@nestjs/jwt';
import { Queues } from '@tessera/queue';
import { TypeOrmModule } from '@nestjs/typeorm';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { MailModule } from '../mail/mail.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { EmailChangeEntity } from './email-change.entity';
import { EmailChangeService } from './email-change.service';
import { EmailChangesRepository } from './email-changes.repository';
import { MeController } from './me.controller';
import { PasswordResetEntity } from './password-reset.entity';
import { PasswordResetService } from './password-reset.service';
import { PasswordResetsRepository } from './password-resets.repository';
import { RefreshTokenEntity } from './refresh-token.entity';
import { ScopesController } from './scopes.controller';
import { SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

@Module({
  imports: [
    TypeOrmModule.forFeature([RefreshTokenEntity, PasswordResetEntity, EmailChangeEntity]),
    BullModule.registerQueue({ name: Queues.mail }),
    JwtModule.registerAsync({
      inject: [APP_CONFIG],
      useFactory: (config: AppConfig) => ({
        secret: config.jwtSecret,
        signOptions: { algorithm: 'HS256', issuer: 'tessera' },
        verifyOptions: { algorithms: ['HS256'], issuer: 'tessera' },
      }),
    }),
    UsersModule,
    WorkspacesModule,
    ApiKeysModule,
    TokensModule,
    MailModule,
    RateLimitModule,
  ],
  controllers: [AuthController, MeController, ScopesController],
  providers: [AuthGuard, SessionsRepository, SessionsService, AuthService, PasswordResetsRepository, PasswordResetService, EmailChangesRepository, EmailChangeService],
  exports: [SessionsService, PasswordResetService, EmailChangeService, AuthGuard],
})
export class AuthModule {}
