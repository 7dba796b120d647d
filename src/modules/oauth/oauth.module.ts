import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditModule } from '../audit/audit.module';
import { MfaModule } from '../mfa/mfa.module';
import { BrowserSessionsModule } from '../sessions/browser-sessions.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { UsersModule } from '../users/users.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { InteractionSignIn } from './interaction-sign-in';
import { OAuthAdminController } from './oauth-admin.controller';
import { OAuthAuthorizationsController } from './oauth-authorizations.controller';
import { OAuthClientEntity } from './oauth-client.entity';
import { OAuthClientsController } from './oauth-clients.controller';
import { OAuthClientsRepository } from './oauth-clients.repository';
import { OAuthClientsService } from './oauth-clients.service';
import { OAuthGrantEntity } from './oauth-grant.entity';
import { OAuthGrantsRepository } from './oauth-grants.repository';
import { OAuthGrantsService } from './oauth-grants.service';
import { OAuthInteractions } from './oauth-interactions';
import { OAuthProviderService } from './oauth-provider.service';
import { OAuthStorage } from './oauth-storage';
import { SigningKeysRepository } from './signing-keys.repository';
import { SigningKeysService } from './signing-keys.service';

/**
 * The built-in OAuth 2.1 / OpenID Connect provider (/oauth, mounted by the bootstrap), the apps
 * accounts register (/oauth-clients), the authorizations users gave them (/me/authorizations),
 * and the access tokens the AuthGuard accepts. It imports no module that imports AuthModule, so
 * AuthModule can import it.
 */
@Module({
  imports: [TypeOrmModule.forFeature([OAuthClientEntity, OAuthGrantEntity]), UsersModule, WorkspacesModule, RateLimitModule, AuditModule, MfaModule, BrowserSessionsModule],
  controllers: [OAuthClientsController, OAuthAuthorizationsController, OAuthAdminController],
  providers: [
    OAuthClientsRepository,
    OAuthClientsService,
    OAuthGrantsRepository,
    OAuthGrantsService,
    SigningKeysRepository,
    SigningKeysService,
    OAuthStorage,
    InteractionSignIn,
    OAuthInteractions,
    OAuthProviderService,
  ],
  exports: [OAuthGrantsService, OAuthProviderService, SigningKeysService],
})
export class OAuthModule {}
