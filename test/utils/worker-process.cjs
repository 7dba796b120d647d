// Runs src/worker.ts as a real process from the TypeScript sources (no build): @swc/core compiles
// each .ts file as it is required, with the decorator metadata Nest needs, and the @tessera/*
// aliases resolve to libs/. Used by specs that must kill -9 a worker.
const Module = require('node:module');
const fs = require('node:fs');
const path = require('node:path');
const { transformSync } = require('@swc/core');

const root = path.resolve(__dirname, '../..');
const aliases = {
  '@tessera/common': path.join(root, 'libs/common/index.ts'),
  '@tessera/database': path.join(root, 'libs/database/index.ts'),
  '@tessera/queue': path.join(root, 'libs/queue/index.ts'),
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return resolve.call(this, aliases[request] ?? request, ...rest);
};
require.extensions['.ts'] = function (module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    module: { type: 'commonjs' },
    jsc: { target: 'es2022', parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false } },
  });
  module._compile(code, filename);
};
require(path.join(root, 'src/worker.ts'));
