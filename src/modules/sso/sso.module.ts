import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccountsModule } from '../accounts/accounts.module';
import { RolesModule } from '../roles/roles.module';
import { UsersModule } from '../users/users.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { OidcSsoStrategy } from './oidc-sso.strategy';
import { SsoAuthController } from './sso-auth.controller';
import { SsoConnectionEntity } from './sso-connection.entity';
import { SsoConnectionsController } from './sso-connections.controller';
import { SsoConnectionsRepository } from './sso-connections.repository';
import { SsoConnectionsService } from './sso-connections.service';
import { SsoFlows } from './sso-flows';
import { SsoHttp } from './sso-http';
import { SsoSignInService } from './sso-sign-in.service';

/**
 * SSO with a workspace's outside OpenID Connect provider: the connection its owners set
 * (/workspaces/{id}/sso-connection) and the sign-in (/auth/sso/{workspace_slug}), an
 * openid-client relying party behind a passport strategy.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SsoConnectionEntity]), PassportModule, AccountsModule, UsersModule, WorkspacesModule, RolesModule],
  controllers: [SsoConnectionsController, SsoAuthController],
  providers: [SsoConnectionsRepository, SsoConnectionsService, SsoHttp, SsoFlows, SsoSignInService, OidcSsoStrategy],
})
export class SsoModule {}
