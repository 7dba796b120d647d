import type { BullBoardServerAdapter } from '@bull-board/nestjs';
import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ApiExceptionFilter, createValidationPipe, EnvelopeInterceptor } from '@tessera/common';
import { bullModules, Queues } from '@tessera/queue';
import { AppConfig } from './config/config';
import { InfrastructureModule } from './infrastructure.module';
import { AccountsModule } from './modules/accounts/accounts.module';
import { AdminModule } from './modules/admin/admin.module';
import { QueuesDashboardModule } from './modules/admin/queues-dashboard.module';
import { ApiKeysModule } from './modules/api-keys/api-keys.module';
import { AuditModule } from './modules/audit/audit.module';
import { AuthGuard } from './modules/auth/auth.guard';
import { EntitlementsModule } from './modules/entitlements/entitlements.module';
import { PostsModule } from './modules/posts/posts.module';
import { PasskeysModule } from './modules/passkeys/passkeys.module';
import { PixelModule } from './modules/pixel/pixel.module';
import { SeoModule } from './modules/seo/seo.module';
import { IdempotencyInterceptor } from './modules/idempotency/idempotency.interceptor';
import { AuthModule } from './modules/auth/auth.module';
import { RateLimitGuard } from './modules/rate-limit/rate-limit.guard';
import { RateLimitModule } from './modules/rate-limit/rate-limit.module';
import { HealthModule } from './modules/health/health.module';
import { MailModule } from './modules/mail/mail.module';
import { McpModule } from './modules/mcp/mcp.module';
import { OAuthModule } from './modules/oauth/oauth.module';
import { RolesModule } from './modules/roles/roles.module';
import { SsoModule } from './modules/sso/sso.module';
import { TokensModule } from './modules/tokens/tokens.module';
import { UsersModule } from './modules/users/users.module';
import { InboundWebhooksModule } from './modules/webhooks/inbound/inbound-webhooks.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';
import { WorkspacesModule } from './modules/workspaces/workspaces.module';
import { RequestPipelineInterceptor } from './request-pipeline';

/** The API process. */
@Module({})
export class AppModule {
  /** `queuesDashboard`: bull-board's server adapter for the HTTP platform (the bootstrap picks it). */
  static forRoot(config: AppConfig, options: { queuesDashboard: new () => BullBoardServerAdapter }): DynamicModule {
    return {
      module: AppModule,
      imports: [
        InfrastructureModule.forRoot(config),
        ...bullModules(config.redisUrl, [Queues.mail]),
        AuditModule,
        HealthModule,
        UsersModule,
        WorkspacesModule,
        RolesModule,
        ApiKeysModule,
        TokensModule,
        MailModule,
        AuthModule,
        AccountsModule,
        PasskeysModule,
        OAuthModule,
        SsoModule,
        RateLimitModule,
        EntitlementsModule,
        PostsModule,
        SeoModule,
        PixelModule,
        // Before WebhooksModule: its /webhooks/:id must not take /webhooks/inbound-sources (Express routes in order).
        InboundWebhooksModule,
        WebhooksModule,
        McpModule,
        AdminModule,
        QueuesDashboardModule.forRoot(options.queuesDashboard),
      ],
      providers: [
        ApiExceptionFilter,
        IdempotencyInterceptor,
        { provide: APP_FILTER, useExisting: ApiExceptionFilter },
        // In this order: who is calling decides which bucket and tier the rate limit uses.
        { provide: APP_GUARD, useExisting: AuthGuard },
        { provide: APP_GUARD, useExisting: RateLimitGuard },
        // No global interceptor: wireRequestPipeline (at boot) gives every write this one
        // (idempotency, envelope, audit) and wraps every read's handler in the envelope.
        EnvelopeInterceptor,
        RequestPipelineInterceptor,
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
