import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError, FieldErrors } from './errors';

function collect(errors: ValidationError[], into: FieldErrors, parent = ''): FieldErrors {
  for (const e of errors) {
    const path = parent ? `${parent}.${e.property}` : e.property;
    if (e.constraints) {
      const messages = Object.entries(e.constraints).map(([rule, msg]) =>
        rule === 'whitelistValidation' ? `${path} is not an accepted field` : msg,
      );
      (into[path] ??= []).push(...messages);
    }
    if (e.children?.length) collect(e.children, into, path);
  }
  return into;
}

/** The path (`tags.1`, `a.b`) of the first string, or object key, holding a NUL character. */
export function pathOfNul(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.includes('\u0000')) return at;
    const found = pathOfNul(item, at);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Bodies are validated strictly: unknown fields are refused (nobody can post `workspace_id` or
 * `role` where they are not accepted), and each failing field is named in `meta.errors`.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const isDto = metadata.type === 'body' && typeof metadata.metatype === 'function' && metadata.metatype !== Object;
    if (isDto && (value === undefined || value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw ApiError.badRequest('The request body must be a JSON object.');
    }
    // PostgreSQL refuses NUL in text and JSON, so no string may carry one into a query. (The URL
    // is checked by ApiHeadersMiddleware; Node's HTTP parser refuses NUL in headers.)
    const nulAt = metadata.type === 'body' ? pathOfNul(value, metadata.data ?? '') : undefined;
    if (nulAt !== undefined) throw ApiError.validation({ [nulAt || 'body']: ['must not contain a NUL character'] });
    try {
      return await super.transform(value, metadata);
    } catch (err) {
      // A bad query parameter is a 400 (API.md), a bad body a 422.
      if (metadata.type === 'query' && err instanceof ApiError) throw ApiError.badRequest('Invalid query parameters.', err.meta.errors as FieldErrors);
      throw err;
    }
  }
}

export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => ApiError.validation(collect(errors, {})),
  });
}
