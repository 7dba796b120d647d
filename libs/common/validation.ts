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

/** Half of a UTF-16 surrogate pair on its own (JSON may write one as an escape, "\ud800"). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Why PostgreSQL cannot store this text, or null: NUL, refused in text and in jsonb; an unpaired
 * surrogate, which is no character: JSON.stringify writes it back as the escape it came in as,
 * and jsonb refuses that escape (a text column would silently store U+FFFD instead).
 */
function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain a NUL character';
  if (LONE_SURROGATE.test(text)) return 'must not contain an unpaired surrogate (a \\uD800-\\uDFFF escape without its pair)';
  return null;
}

/** The path (`tags.1`, `a.b`) of the first string, or object key, PostgreSQL cannot store, and why. */
export function unstorableTextIn(value: unknown, path = ''): { path: string; problem: string } | undefined {
  if (typeof value === 'string') {
    const problem = unstorable(value);
    return problem ? { path, problem } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    const problem = unstorable(key);
    if (problem) return { path: at, problem };
    const found = unstorableTextIn(item, at);
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
    // PostgreSQL refuses NUL in text and JSON, and jsonb an unpaired surrogate, so no string may
    // carry one into a query: a request would fail with a 500, and a pixel event (stored later, in
    // a batch of many workspaces' events) would fail its whole batch. (The URL is checked by
    // apiHeadersProblem, and percent-decoding makes no lone surrogate; Node's HTTP parser
    // refuses NUL in headers, which are Latin-1.)
    const bad = metadata.type === 'body' ? unstorableTextIn(value, metadata.data ?? '') : undefined;
    if (bad !== undefined) throw ApiError.validation({ [bad.path || 'body']: [bad.problem] });
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
