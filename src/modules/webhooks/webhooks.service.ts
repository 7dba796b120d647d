import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { ApiError, isId, ListQuery, newId, Page, seal, webhookUrlProblem } from '@tessera/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { EntitlementsService, WorkspaceRef } from '../entitlements/entitlements.service';
import { newWebhookSecret } from './webhook-rules';
import { WebhookEndpointEntity } from './webhook-endpoint.entity';
import { WebhookEndpointPatch, WebhooksRepository } from './webhooks.repository';

export interface WebhookInput {
  url: string;
  events: string[];
  description?: string;
  is_active?: boolean;
  headers?: Record<string, string>;
  rate_limit_per_second?: number | null;
  max_in_flight?: number;
  secret?: string;
}

/**
 * A workspace's webhook endpoints, metered by the webhooks entitlement. Their changes are
 * configuration, audited but never outbox events.
 */
@Injectable()
export class WebhooksService implements OnModuleInit {
  constructor(
    private readonly repo: WebhooksRepository,
    private readonly entitlements: EntitlementsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.entitlements.registerCounter('webhooks', (workspaceId) => this.repo.count(workspaceId));
  }

  list(workspaceId: string, list: ListQuery): Promise<Page<WebhookEndpointEntity>> {
    return this.repo.list(workspaceId, list);
  }

  async get(workspaceId: string, id: string): Promise<WebhookEndpointEntity> {
    const endpoint = isId('whk', id) ? await this.repo.find(workspaceId, id) : null;
    if (!endpoint) throw ApiError.notFound('Webhook endpoint');
    return endpoint;
  }

  /** Creates an endpoint; the answer carries its secret, the only time it is shown. */
  async create(ws: WorkspaceRef, input: WebhookInput): Promise<{ endpoint: WebhookEndpointEntity; secret: string }> {
    // DNS before the transaction: nothing slow while it holds a connection and the workspace lock.
    await this.assertUrl(input.url);
    const secret = input.secret ?? newWebhookSecret();
    return this.repo.transaction(async () => {
      await this.entitlements.assertCanCreate(ws, 'webhooks');
      const now = new Date();
      const id = newId('whk');
      const endpoint = Object.assign(new WebhookEndpointEntity(), {
        id,
        workspaceId: ws.id,
        url: input.url,
        description: input.description ?? '',
        events: [...new Set(input.events)],
        isActive: input.is_active ?? true,
        headers: input.headers ?? {},
        rateLimitPerSecond: input.rate_limit_per_second ?? null,
        maxInFlight: input.max_in_flight ?? 10,
        // The endpoint id as associated data: a sealed secret copied onto another endpoint does not open.
        secretSealed: seal(this.config.encryptionKey, secret, id),
        successCount: 0,
        failureCount: 0,
        consecutiveFailures: 0,
        lastDeliveryAt: null,
        disabledReason: null,
        createdAt: now,
        updatedAt: now,
      });
      await this.repo.insert(endpoint);
      return { endpoint, secret };
    });
  }

  async update(workspaceId: string, id: string, input: Partial<Omit<WebhookInput, 'secret'>>): Promise<WebhookEndpointEntity> {
    await this.get(workspaceId, id);
    if (input.url != null) await this.assertUrl(input.url);
    const patch: WebhookEndpointPatch = {
      ...(input.url != null ? { url: input.url } : {}),
      ...(input.events != null ? { events: [...new Set(input.events)] } : {}),
      ...(input.description != null ? { description: input.description } : {}),
      ...(input.is_active != null ? { isActive: input.is_active } : {}),
      ...(input.headers != null ? { headers: input.headers } : {}),
      ...(input.rate_limit_per_second !== undefined ? { rateLimitPerSecond: input.rate_limit_per_second } : {}),
      ...(input.max_in_flight != null ? { maxInFlight: input.max_in_flight } : {}),
    };
    await this.repo.update(workspaceId, id, patch);
    return this.get(workspaceId, id);
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    if (!(await this.repo.delete(workspaceId, id))) throw ApiError.notFound('Webhook endpoint');
  }

  private async assertUrl(url: string): Promise<void> {
    const problem = await webhookUrlProblem(url, { allowPrivate: this.config.webhooksAllowPrivateUrls });
    if (problem) throw ApiError.validation({ url: [problem] });
  }
}
