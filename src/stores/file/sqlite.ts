/// <reference types="node" />
import type * as NodeSqlite from 'node:sqlite';
import { IdempotencyConfigurationError } from '../../errors.ts';
import { nodeBuiltin, nodeProcess } from '../../node-builtin.ts';

/** The part of `node:sqlite` the store uses: the same module on Node 22.13+, Deno and Bun. */
export type SqliteModule = Pick<typeof NodeSqlite, 'DatabaseSync'>;
export type Database = NodeSqlite.DatabaseSync;
export type Statement = NodeSqlite.StatementSync;

/**
 * `node:sqlite` if this runtime has it. Asked for through `process.getBuiltinModule` rather than
 * imported, so that importing `edge-idempotency/file` on Node 20 (which has no `node:sqlite`) or
 * bundling it for an edge runtime does not fail at load time: the constructor throws a
 * configuration error that says what to upgrade to instead.
 */
export function loadSqlite(): SqliteModule {
  const sqlite = nodeBuiltin<SqliteModule>('node:sqlite');
  if (typeof sqlite?.DatabaseSync === 'function') return sqlite;
  const runtime = nodeProcess?.version ? `Node ${nodeProcess.version}` : 'this runtime';
  throw new IdempotencyConfigurationError(
    `FileStore needs node:sqlite, which ${runtime} does not provide: use Node 22.13 or later ` +
      '(or 22.5+ with --experimental-sqlite), or Deno or Bun (tested: Deno 2.9, Bun 1.4)',
  );
}

const SQLITE_TOOBIG = 18;

/** SQLite refused a string or blob over its length limit (1,000,000,000 bytes by default). */
export function isTooBig(error: unknown): boolean {
  const code = (error as { errcode?: unknown } | null)?.errcode;
  // Extended result codes keep the primary code in the low byte.
  return typeof code === 'number' && (code & 0xff) === SQLITE_TOOBIG;
}
