/**
 * `node --import` this file to run the TypeScript sources in a child process: `#sha256` maps
 * (through package.json `imports`) into dist/, which a test must not depend on, so it points at
 * the source file Node would get instead.
 */
import { registerHooks } from 'node:module';

const sha256 = new URL('../../src/sha256.node.ts', import.meta.url).href;

registerHooks({
  resolve: (specifier, context, nextResolve) =>
    specifier === '#sha256' ? { url: sha256, shortCircuit: true } : nextResolve(specifier, context),
});
