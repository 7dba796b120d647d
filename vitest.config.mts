import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

// SWC compiles the TypeScript with decorator metadata, which Nest's dependency injection and
// class-validator read; esbuild (Vite's default) does not emit it.
export default defineConfig({
  plugins: [swc.vite({ module: { type: 'es6' }, jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false } } })],
  resolve: {
    alias: {
      '@tessera/common': resolve(root, 'libs/common/index.ts'),
      '@tessera/database': resolve(root, 'libs/database/index.ts'),
      '@tessera/queue': resolve(root, 'libs/queue/index.ts'),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['src/**/*.spec.ts', 'libs/**/*.spec.ts'], environment: 'node' },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e-spec.ts', 'test/security/**/*.e2e-spec.ts'],
          environment: 'node',
          globalSetup: ['test/utils/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
