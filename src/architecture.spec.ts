import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('architecture', () => {
  // A repository that could reach TypeORM's DataSource or take an EntityManager could also reach
  // the pool while a transaction holds a connection, and wait for a second one: under load that
  // deadlocked the whole API. Domain code goes through libs/database's Database instead, whose
  // queries join the open transaction.
  it('should keep the DataSource and EntityManager out of src/', () => {
    const offenders = sources(join(root, 'src')).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const found = [/\bInjectDataSource\b/, /\bDataSource\b/, /\bEntityManager\b/, /\bgetConnection\b/].filter((re) => re.test(text));
      return found.length ? [`${relative(root, file)}: ${found.map((re) => re.source).join(', ')}`] : [];
    });
    expect(offenders).toEqual([]);
  });

  it('should keep libs/ free of imports from src/', () => {
    const offenders = sources(join(root, 'libs')).filter((file) => /from '(\.\.\/)+src\//.test(readFileSync(file, 'utf8')));
    expect(offenders.map((f) => relative(root, f))).toEqual([]);
  });
});
