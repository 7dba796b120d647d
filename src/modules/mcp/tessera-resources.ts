import { Injectable } from '@nestjs/common';
import { ApiError, parseListQuery } from '@tessera/common';
import { missingScopes, missingScopesError } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { presentPost } from '../posts/post.presenter';
import { POST_LIST, PostsService } from '../posts/posts.service';
import { presentWebhook } from '../webhooks/webhook.presenter';
import { WEBHOOK_LIST, WebhooksService } from '../webhooks/webhooks.service';
import { McpCaller } from './mcp-caller';

/** How many records of each kind resources/list shows (the newest); any record reads by its URI. */
export const RESOURCE_LIST_LIMIT = 100;

/** A workspace record as an MCP resource: tessera://<kind>/<id>, its JSON as the presenter shows it. */
export interface TesseraResourceKind {
  kind: string;
  title: string;
  description: string;
  scopes: Scope[];
  list(caller: McpCaller): Promise<Array<{ id: string; name: string }>>;
  read(caller: McpCaller, id: string): Promise<object>;
}

export interface ResourceContents {
  uri: string;
  mimeType: 'application/json';
  text: string;
}

const URI = /^tessera:\/\/([a-z]+)\/([A-Za-z0-9_]{1,64})$/;

export function tesseraUri(kind: string, id: string): string {
  return `tessera://${kind}/${id}`;
}

/**
 * The built-in server's resources: the workspace's own records, read through the same services
 * (and scopes) as their REST routes. Only tessera:// URIs name anything; nothing else (file://
 * among them) is ever read, so nothing of the host is reachable through MCP.
 */
@Injectable()
export class TesseraResources {
  readonly kinds: readonly TesseraResourceKind[];

  constructor(posts: PostsService, webhooks: WebhooksService) {
    this.kinds = [
      {
        kind: 'posts',
        title: 'Posts',
        description: 'A post of the workspace, as GET /api/v1/posts/{id} shows it.',
        scopes: [Scope.PostsRead],
        list: async (caller) =>
          (await posts.list(caller.workspace.id, parseListQuery({ limit: String(RESOURCE_LIST_LIMIT) }, POST_LIST))).items.map((p) => ({ id: p.id, name: p.title })),
        read: async (caller, id) => presentPost(await posts.get(caller.workspace.id, id)),
      },
      {
        kind: 'webhooks',
        title: 'Webhook endpoints',
        description: 'A webhook endpoint of the workspace, as GET /api/v1/webhooks/{id} shows it (never its secret).',
        scopes: [Scope.WebhooksRead],
        list: async (caller) =>
          (await webhooks.list(caller.workspace.id, parseListQuery({ limit: String(RESOURCE_LIST_LIMIT) }, WEBHOOK_LIST))).items.map((w) => ({ id: w.id, name: w.url })),
        read: async (caller, id) => presentWebhook(await webhooks.get(caller.workspace.id, id)),
      },
    ];
  }

  /** The records of every kind the caller may read (kinds it may not are left out, not refused). */
  async list(caller: McpCaller, kind: TesseraResourceKind): Promise<Array<{ uri: string; name: string }>> {
    if (missingScopes(caller.principal, kind.scopes).length) return [];
    return (await kind.list(caller)).map((r) => ({ uri: tesseraUri(kind.kind, r.id), name: r.name }));
  }

  /** One record by its URI: 404 for a URI that names nothing in this workspace, 403 naming the missing scopes. */
  async read(caller: McpCaller, uri: string): Promise<ResourceContents> {
    const match = URI.exec(uri);
    const kind = match ? this.kinds.find((k) => k.kind === match[1]) : undefined;
    if (!match || !kind) throw ApiError.notFound('Resource');
    const missing = missingScopes(caller.principal, kind.scopes);
    if (missing.length) throw missingScopesError(missing);
    const record = await kind.read(caller, match[2]);
    return { uri, mimeType: 'application/json', text: JSON.stringify(record) };
  }
}
