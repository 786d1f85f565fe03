interface NodeProcess {
  version?: string;
  getBuiltinModule?: (id: string) => unknown;
}

/** The runtime's `process`, where there is one (Node, Deno, Bun; not workerd without nodejs_compat). */
export const nodeProcess = (globalThis as { process?: NodeProcess }).process;

/**
 * A Node built-in, taken with `process.getBuiltinModule` (Node 20.16+, Deno, Bun), or
 * `undefined`. Rather than `import`: an ESM import of a built-in evaluates every export of its
 * namespace (`node:http`'s `WebSocket` loads undici, `node:crypto`'s `webcrypto` its own
 * module), which a cold start pays for unused; and a module that may be missing (`node:sqlite`)
 * must not fail at load time.
 */
export function nodeBuiltin<T>(id: string): T | undefined {
  return nodeProcess?.getBuiltinModule?.(id) as T | undefined;
}
