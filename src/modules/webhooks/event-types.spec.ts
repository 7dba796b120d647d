import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DOMAIN_EVENT_TYPES, EVENT_TYPES, INBOUND_EVENT_TYPE_PATTERN } from '@tessera/database';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPE_CATALOG, isEventPattern, matchesEvent } from './event-types';

const root = join(__dirname, '..', '..', '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/**
 * Every `outbox.write({ … type: '…' … })` in src/, with the literal type it writes; a writer of
 * `type: inboundEventType(…)` writes the inbound pattern.
 */
function outboxWrites(): Array<{ file: string; type: string | null }> {
  return sources(join(root, 'src')).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    return [...text.matchAll(/outbox\.write\(\{([^)]*)\)/g)].map((m) => ({
      file: relative(root, file),
      type: /\btype:\s*'([^']+)'/.exec(m[1])?.[1] ?? (/\btype:\s*inboundEventType\(/.test(m[1]) ? INBOUND_EVENT_TYPE_PATTERN : null),
    }));
  });
}

const REGISTERED: readonly string[] = [...EVENT_TYPES, INBOUND_EVENT_TYPE_PATTERN];

describe('event types', () => {
  it('should describe every registered type once, with an example', () => {
    expect(EVENT_TYPE_CATALOG.map((e) => e.type)).toEqual(REGISTERED);
    expect(new Set(EVENT_TYPES).size).toBe(EVENT_TYPES.length);
    for (const e of EVENT_TYPE_CATALOG) {
      expect(e.description.length, e.type).toBeGreaterThan(0);
      expect(Object.keys(e.example).length, e.type).toBeGreaterThan(0);
    }
  });

  it('should find the outbox writers (the scan below would pass vacuously otherwise)', () => {
    expect(outboxWrites().length).toBeGreaterThanOrEqual(DOMAIN_EVENT_TYPES.length);
  });

  it('should have every outbox writer emit a registered literal type', () => {
    const bad = outboxWrites().filter((w) => w.type === null || !REGISTERED.includes(w.type));
    expect(bad).toEqual([]);
  });

  it('should have every registered domain type emitted by some writer', () => {
    const written = new Set(outboxWrites().map((w) => w.type));
    expect(DOMAIN_EVENT_TYPES.filter((t) => !written.has(t))).toEqual([]);
  });

  it('should have the inbound pattern emitted by some writer', () => {
    expect(outboxWrites().map((w) => w.type)).toContain(INBOUND_EVENT_TYPE_PATTERN);
  });
});

describe(isEventPattern.name, () => {
  it.each(['post.created', 'webhook.test', '*', 'post.*', 'webhook.*', 'webhook.delivery.*', 'inbound.*', 'inbound.stripe.received', 'inbound.stripe.*', 'inbound.gh_app-2.received'])(
    'should accept %s',
    (p) => expect(isEventPattern(p)).toBe(true),
  );
  it.each([
    'post.create', 'posts.*', '', '.*', 'post*', '*.created', 'po*.*', 'post.**', 'POST.CREATED',
    'inbound.Stripe.received', 'inbound..received', 'inbound.stripe', 'inbound.stripe.received.x', 'inbound.a.b.received', 'inbound.*.received',
    `inbound.${'a'.repeat(41)}.received`, 'inbound.-x.received', 'inbound.{source_name}.received', 'inbound.a b.*',
  ])('should refuse %j', (p) => expect(isEventPattern(p)).toBe(false));
});

describe(matchesEvent.name, () => {
  it('should match exact types, prefix wildcards and *', () => {
    expect(matchesEvent(['post.*'], 'post.deleted')).toBe(true);
    expect(matchesEvent(['post.*'], 'member.added')).toBe(false);
    expect(matchesEvent(['member.added'], 'member.added')).toBe(true);
    expect(matchesEvent(['*'], 'webhook.test')).toBe(true);
    expect(matchesEvent([], 'post.created')).toBe(false);
  });

  it('should match inbound types by name, by inbound.* and by *', () => {
    expect(matchesEvent(['inbound.*'], 'inbound.stripe.received')).toBe(true);
    expect(matchesEvent(['inbound.stripe.received'], 'inbound.stripe.received')).toBe(true);
    expect(matchesEvent(['inbound.stripe.*'], 'inbound.stripe.received')).toBe(true);
    expect(matchesEvent(['inbound.github.received'], 'inbound.stripe.received')).toBe(false);
    expect(matchesEvent(['*'], 'inbound.stripe.received')).toBe(true);
    expect(matchesEvent(['post.*'], 'inbound.stripe.received')).toBe(false);
  });
});
