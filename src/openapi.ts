import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ErrorEnvelopeDto } from '@tessera/common';
import { SecuritySchemes } from './modules/auth/authenticated.decorator';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion('3.1.0')
    .setTitle('Tessera API')
    .setVersion('1')
    .setDescription(
      [
        'Multi-tenant API platform. Every answer uses one envelope: `success`, `status`, `code`, `message`, `data`, `meta` (request_id, timestamp, pagination).',
        'Authenticate with `Authorization: Bearer <JWT | sk_live_… | tsr_pat_…>` or `X-Api-Key: <tsr_pat_…>`. Workspace routes take X-Workspace-ID (id or slug) from JWTs and personal access tokens.',
        'Each operation lists the scopes it needs in its security requirements and in `x-required-scopes`; GET /api/v1/scopes lists the catalog.',
      ].join('\n\n'),
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A JWT access token, a workspace API key (sk_live_…/sk_test_…) or a personal access token (tsr_pat_…).' }, SecuritySchemes.bearer)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'A personal access token (tsr_pat_…).' }, SecuritySchemes.apiKeyHeader)
    .addGlobalResponse(
      { status: 429, description: 'RATE_LIMITED: over the limit; see Retry-After.', schema: { $ref: '#/components/schemas/ErrorEnvelopeDto' } },
      { status: 500, description: 'INTERNAL_ERROR: unexpected; quote meta.request_id.', schema: { $ref: '#/components/schemas/ErrorEnvelopeDto' } },
    )
    .build();
  return SwaggerModule.createDocument(app, config, { extraModels: [ErrorEnvelopeDto] });
}

/** Swagger UI at /docs and the document at /docs/openapi.json. */
export function setupOpenApi(app: INestApplication): void {
  const document = buildOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, {
    useGlobalPrefix: false,
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    swaggerOptions: { persistAuthorization: true },
  });
}
