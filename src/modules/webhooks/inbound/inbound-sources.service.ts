import { Inject, Injectable } from '@nestjs/common';
import { ApiError, ErrorCode, isId, ListQuery, newId, Page, seal } from '@tessera/common';
import { APP_CONFIG, AppConfig } from '../../../config/config';
import { newWebhookSecret } from '../webhook-rules';
import { InboundSourceEntity } from './inbound-source.entity';
import { InboundScheme } from './inbound-signature';
import { InboundSourcePatch, InboundSourcesRepository } from './inbound-sources.repository';

export interface InboundSourceInput {
  name: string;
  scheme?: InboundScheme;
  secret?: string;
  description?: string;
  is_active?: boolean;
}

/**
 * A hard cap rather than an entitlement: sources cost nothing per month and the plans meter
 * nothing like them; the cap only keeps one workspace from filling the table.
 */
export const MAX_INBOUND_SOURCES = 20;

/** A workspace's inbound sources: configuration, audited, never outbox events. */
@Injectable()
export class InboundSourcesService {
  constructor(
    private readonly repo: InboundSourcesRepository,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  list(workspaceId: string, list: ListQuery): Promise<Page<InboundSourceEntity>> {
    return this.repo.list(workspaceId, list);
  }

  async get(workspaceId: string, id: string): Promise<InboundSourceEntity> {
    const source = isId('src', id) ? await this.repo.find(workspaceId, id) : null;
    if (!source) throw ApiError.notFound('Inbound source');
    return source;
  }

  /** Creates a source; the answer carries its secret, the only time it is shown. */
  async create(workspaceId: string, input: InboundSourceInput): Promise<{ source: InboundSourceEntity; secret: string }> {
    const scheme = input.scheme ?? 'standard-webhooks';
    // The DTO refuses a stripe source without its secret; Standard Webhooks ones may have theirs made here.
    const secret = input.secret ?? newWebhookSecret();
    return this.repo.transaction(async () => {
      await this.repo.lockWorkspace(workspaceId);
      const count = await this.repo.count(workspaceId);
      if (count >= MAX_INBOUND_SOURCES) {
        throw new ApiError(409, ErrorCode.CONFLICT, `A workspace has at most ${MAX_INBOUND_SOURCES} inbound sources; delete one to add another.`, {
          limit: MAX_INBOUND_SOURCES,
          current_usage: count,
        });
      }
      await this.assertNameFree(workspaceId, input.name);
      const now = new Date();
      const id = newId('src');
      const source = Object.assign(new InboundSourceEntity(), {
        id,
        workspaceId,
        name: input.name,
        scheme,
        // The source id as associated data: a sealed secret copied onto another source does not open.
        secretSealed: seal(this.config.encryptionKey, secret, id),
        description: input.description ?? '',
        isActive: input.is_active ?? true,
        createdAt: now,
        updatedAt: now,
      });
      await this.repo.insert(source);
      return { source, secret };
    });
  }

  async update(workspaceId: string, id: string, input: Partial<Pick<InboundSourceInput, 'name' | 'description' | 'is_active'>>): Promise<InboundSourceEntity> {
    const source = await this.get(workspaceId, id);
    if (input.name != null && input.name !== source.name) await this.assertNameFree(workspaceId, input.name);
    const patch: InboundSourcePatch = {
      ...(input.name != null ? { name: input.name } : {}),
      ...(input.description != null ? { description: input.description } : {}),
      ...(input.is_active != null ? { isActive: input.is_active } : {}),
    };
    await this.repo.update(workspaceId, id, patch);
    return this.get(workspaceId, id);
  }

  async delete(workspaceId: string, id: string): Promise<void> {
    await this.get(workspaceId, id);
    if (!(await this.repo.delete(workspaceId, id))) throw ApiError.notFound('Inbound source');
  }

  /** A friendly 409 for the common case; the unique index still decides a race (also 409). */
  private async assertNameFree(workspaceId: string, name: string): Promise<void> {
    if (await this.repo.findByName(workspaceId, name)) throw ApiError.conflict('An inbound source of this workspace already has this name.', { name: ['has already been taken'] });
  }
}
