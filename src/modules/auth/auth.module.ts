import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { MfaModule } from '../mfa/mfa.module';
import { BrowserSessionsModule } from '../sessions/browser-sessions.module';
import { OAuthModule } from '../oauth/oauth.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { AccessTokensRepository } from './access-tokens.repository';
import { AccessTokensService } from './access-tokens.service';
import { AuthGuard } from './auth.guard';
import { ScopesController } from './scopes.controller';

/**
 * The access core: who is calling (the guard over every credential), what they may do (scopes,
 * roles, delegation) and access tokens. Every module uses its decorators; sign-in and accounts
 * live in the accounts module, which mints access tokens through this one.
 */
@Module({
  imports: [
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
    OAuthModule,
    RateLimitModule,
    BrowserSessionsModule,
    MfaModule,
  ],
  controllers: [ScopesController],
  providers: [AuthGuard, AccessTokensRepository, AccessTokensService],
  exports: [AuthGuard, AccessTokensService],
})
export class AuthModule {}
