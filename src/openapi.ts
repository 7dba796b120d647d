import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '@tessera/common';
import { SecuritySchemes } from './modules/auth/authenticated.decorator';
import { ALL_SCOPES, describeScope } from './modules/auth/scopes';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Tessera API')
    .setVersion('1')
    .setDescription(
      [
        'Multi-tenant API platform. Every answer uses one envelope: `success`, `status`, `code`, `message`, `data`, `meta` (request_id, timestamp, pagination).',
        'Authenticate with `Authorization: Bearer <JWT | sk_live_… | tsr_pat_… | OAuth access token>` or `X-Api-Key: <tsr_pat_…>`. Workspace routes take X-Workspace-ID (id or slug) from JWTs, personal access tokens and the session cookie.',
        'Browsers sign in for the session cookie, `__Host-tessera_session` over HTTPS and `tessera_session` over plain HTTP (POST /auth/login with `"session": true`, a magic link or a passkey). Every state-changing request made with the cookie must send `X-CSRF-Token` (the sign-in\'s `csrf_token`, also in the CSRF cookie: `__Host-tessera_csrf`, or `tessera_csrf` over HTTP) and come from an allowed `Origin`, else 403. A request that also sends `Authorization` or `X-Api-Key` is judged by that credential alone: the cookie is not read.',
        'Third-party apps use the built-in OAuth 2.1 / OpenID Connect provider (discovery at /.well-known/openid-configuration): authorization code with PKCE (S256), client registered at /api/v1/oauth-clients. Its access token acts in the one workspace the user picked at consent, with the granted scopes within the user\'s role.',
        'Each operation lists the scopes it needs in its security requirements and in `x-required-scopes`; GET /api/v1/scopes lists the catalog.',
      ].join('\n\n'),
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A JWT access token, a workspace API key (sk_live_…/sk_test_…) or a personal access token (tsr_pat_…).' }, SecuritySchemes.bearer)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'A personal access token (tsr_pat_…).' }, SecuritySchemes.apiKeyHeader)
    .addCookieAuth(
      'tessera_session',
      {
        type: 'apiKey',
        in: 'cookie',
        name: 'tessera_session',
        description:
          'A browser session (HttpOnly, SameSite=Lax), set by a sign-in with `"session": true`, a magic link or a passkey: the user\'s role permissions. ' +
          'Named `tessera_session` over plain HTTP (development); over HTTPS `__Host-tessera_session` (Secure, Path=/, no Domain), and only that name is read there. ' +
          'State-changing requests also need `X-CSRF-Token` (the CSRF cookie\'s value: `__Host-tessera_csrf`, or `tessera_csrf` over HTTP) and an allowed `Origin`. Ignored when Authorization or X-Api-Key is sent.',
      },
      SecuritySchemes.sessionCookie,
    )
    .addOAuth2(
      {
        type: 'oauth2',
        description:
          'The built-in OAuth 2.1 provider: authorization code with PKCE (S256) only, rotating refresh tokens. Register the app at /api/v1/oauth-clients (redirect URIs matched exactly); the user signs in, consents and picks one workspace. OpenID Connect scopes (openid, profile, email, offline_access) are offered too.',
        flows: {
          authorizationCode: {
            authorizationUrl: '/oauth/auth',
            tokenUrl: '/oauth/token',
            refreshUrl: '/oauth/token',
            scopes: Object.fromEntries(ALL_SCOPES.map((scope) => [scope, describeScope(scope)])),
          },
        },
      },
      SecuritySchemes.oauth2,
    )
    .addGlobalResponse(
      { status: 429, description: 'RATE_LIMITED: over the limit; see Retry-After.', schema: { $ref: '#/components/schemas/ErrorEnvelopeDto' } },
      { status: 500, description: 'INTERNAL_ERROR: unexpected; quote meta.request_id.', schema: { $ref: '#/components/schemas/ErrorEnvelopeDto' } },
    )
    .build();
  return markAliasPaths(SwaggerModule.createDocument(app, config, { extraModels: [ErrorEnvelopeDto] }));
}

type Operation = { operationId?: string; description?: string; deprecated?: boolean; 'x-alias-of'?: string };

/**
 * A controller with several paths (`@Controller(['workspaces', 'organizations'])`) serves another
 * seed reference's names for the same routes. @nestjs/swagger emits each path with operation ids
 * suffixed `[0]`, `[1]`…: the first path is the contract's and keeps its plain id; every other one
 * is documented as an alias of it (`x-alias-of`), not as a second contract.
 */
function markAliasPaths(document: OpenAPIObject): OpenAPIObject {
  const canonical = new Map<string, string>();
  const all: Array<{ path: string; method: string; op: Operation }> = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(methods as Record<string, Operation>)) {
      if (typeof op !== 'object' || !op?.operationId) continue;
      all.push({ path, method, op });
      const match = /^(.*)\[0\]$/.exec(op.operationId);
      if (match) canonical.set(match[1], `${method.toUpperCase()} ${path}`);
    }
  }
  for (const { path, op } of all) {
    const match = /^(.*)\[(\d+)\]$/.exec(op.operationId!);
    if (!match) continue;
    const [, id, index] = match;
    if (index === '0') {
      op.operationId = id;
      continue;
    }
    const of = canonical.get(id)!;
    op.operationId = `${id}_alias${path.replace(/[^A-Za-z0-9]+/g, '_')}`;
    op['x-alias-of'] = of;
    op.deprecated = false;
    op.description = [`Alias of \`${of}\`: the same route, rules and answer under another seed reference's name.`, op.description].filter(Boolean).join('\n\n');
  }
  return document;
}

/** Swagger UI at /docs and the document at /docs/openapi.json. */
export function setupOpenApi(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    useGlobalPrefix: false,
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    swaggerOptions: { persistAuthorization: true, initOAuth: { usePkceWithAuthorizationCodeGrant: true } },
  });
}
