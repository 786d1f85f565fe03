/**
 * Hardening on DurableObjectStore inside workerd: every byte the objects' SQLite storage holds
 * is scanned for secrets, corrupted rows under a real storage key answer 503, and each store
 * step meets each fault (thrown before the call, answer lost after it, slow) through a
 * namespace that injects it.
 */

import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { storageKey } from '../../src/hashing.ts';
import { PROBLEM_TYPES, withIdempotency } from '../../src/index.ts';
import {
  DurableObjectStore,
  type IdempotencyObjectNamespace,
  type IdempotencyObjectStub,
} from '../../src/stores/cloudflare/index.ts';
import { runFaultTable, SLOW_MS, type Step } from '../hardening/fault-scenarios.ts';
import { newSecrets, type Secrets, secretsFound, sendSecrets } from '../hardening/secrets.ts';

type Namespace = IdempotencyObjectNamespace<DurableObjectId>;
const namespace = env.IDEMPOTENCY as unknown as Namespace;
const utf8 = new TextEncoder();

/** Every row of every table in the object for `key`, as bytes. */
async function objectBytes(key: string): Promise<Uint8Array[]> {
  const stub = namespace.get(namespace.idFromName(key)) as unknown as DurableObjectStub;
  return runInDurableObject(stub, (_object, state) => {
    const out: Uint8Array[] = [];
    const tables = state.storage.sql
      // The runtime's own tables (`_cf_*`) are off limits and hold none of our data.
      .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
      .toArray();
    for (const { name } of tables) {
      out.push(utf8.encode(String(name)));
      for (const row of state.storage.sql.exec(`SELECT * FROM "${String(name)}"`).toArray()) {
        for (const [column, value] of Object.entries(row)) {
          out.push(utf8.encode(column));
          out.push(value instanceof ArrayBuffer ? new Uint8Array(value) : utf8.encode(String(value)));
        }
      }
    }
    return out;
  });
}

const keysOf = (secrets: Secrets) =>
  Promise.all(
    ['-a', '-b', '-c'].map((suffix) =>
      storageKey('', `Bearer ${secrets.authorization}`, `${secrets.key}${suffix}`),
    ),
  );

describe('what lands in Durable Object storage', () => {
  it('holds no raw key, request body, Authorization, Cookie or Set-Cookie', async () => {
    const secrets = newSecrets();
    const [completed, , running] = (await keysOf(secrets)) as [string, string, string];
    let inProgressScanned = false;
    await sendSecrets(new DurableObjectStore({ namespace }), secrets, {
      inspect: async () => {
        const bytes = await objectBytes(running);
        expect(bytes.length).toBeGreaterThan(0);
        expect(await secretsFound(bytes, secrets)).toEqual([]);
        inProgressScanned = true;
      },
    });
    const stored = await objectBytes(completed);
    expect(stored.length).toBeGreaterThan(5);
    expect(inProgressScanned).toBe(true);
    expect(await secretsFound(stored, secrets)).toEqual([]);
  });

  it('holds Set-Cookie only when storeSetCookie is on (the scan finds what is there)', async () => {
    const secrets = newSecrets();
    await sendSecrets(new DurableObjectStore({ namespace }), secrets, {
      storeSetCookie: true,
      inspect: async () => {},
    });
    const [completed] = (await keysOf(secrets)) as [string];
    expect(await secretsFound(await objectBytes(completed), secrets)).toEqual(['setCookie']);
  });
});

describe('a corrupted row under a real storage key', () => {
  const cases: Array<[string, string]> = [
    ['an unknown state', "state = 'weird'"],
    ['a fingerprint that is not hex', "fingerprint = 'zz'"],
    ['a completed row without response', "state = 'completed', response = NULL"],
    ['a completed row whose response is garbage', "state = 'completed', response = X'0102'"],
  ];

  it.each(cases)('answers 503 without running the handler for %s', async (_, change) => {
    const idempotencyKey = crypto.randomUUID();
    const key = await storageKey('', '', idempotencyKey);
    const stub = namespace.get(namespace.idFromName(key));
    await stub.begin({ key, fingerprint: 'a'.repeat(64), token: 't', leaseMs: 60_000 });
    await runInDurableObject(stub as unknown as DurableObjectStub, (_object, state) => {
      state.storage.sql.exec(`UPDATE idempotency_records SET ${change}`);
    });
    let runs = 0;
    const serve = withIdempotency(async () => new Response(`run ${++runs}`), {
      store: new DurableObjectStore({ namespace }),
    });
    const response = await serve(
      new Request('https://api.example/pay', {
        method: 'POST',
        headers: { 'idempotency-key': idempotencyKey },
        body: 'x',
      }),
    );
    expect(response.status).toBe(503);
    expect(((await response.json()) as { type: string }).type).toBe(PROBLEM_TYPES.storeUnavailable);
    expect(runs).toBe(0);
  });
});

type Method = 'begin' | 'complete' | 'release';
type Fault = { method: Method; mode: 'fail-before' | 'drop-answer' | 'slow' } | undefined;

/** The namespace, with the armed fault injected into the next call of its method. */
function faultyNamespace(inner: Namespace, state: { fault: Fault }): Namespace {
  return {
    idFromName: (name) => inner.idFromName(name),
    get(id) {
      const stub = inner.get(id);
      const faulty =
        <A extends unknown[], R>(method: Method, call: (...args: A) => Promise<R>) =>
        async (...args: A): Promise<R> => {
          const fault = state.fault?.method === method ? state.fault : undefined;
          if (fault) state.fault = undefined;
          if (fault?.mode === 'fail-before') throw new Error('injected: the call never reached the object');
          if (fault?.mode === 'slow') await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
          const answer = await call(...args);
          if (fault?.mode === 'drop-answer') throw new Error('injected: the answer was lost');
          return answer;
        };
      return {
        begin: faulty('begin', (input) => stub.begin(input)),
        complete: faulty('complete', (input) => stub.complete(input)),
        release: faulty('release', (key, token) => stub.release(key, token)),
        get: (key) => stub.get(key),
        delete: (key) => stub.delete(key),
      } satisfies IdempotencyObjectStub;
    },
  };
}

describe('faults on every store step (injected into the namespace)', () => {
  const methodOf: Record<Step, Method> = {
    begin: 'begin',
    'replay read': 'begin',
    complete: 'complete',
    release: 'release',
  };

  it('matches the fault table', async () => {
    const state: { fault: Fault } = { fault: undefined };
    const store = new DurableObjectStore({ namespace: faultyNamespace(namespace, state) });
    const table = await runFaultTable(
      store,
      (step, mode) => {
        state.fault = { method: methodOf[step], mode };
      },
      () => {
        state.fault = undefined;
      },
    );
    expect(table).toEqual(DURABLE_OBJECT_FAULTS);
  });
});

// First answer → immediate retry → retry after the lease (docs/faults.md explains each row).
// The store has no time budget of its own: a slow object is waited for.
const DURABLE_OBJECT_FAULTS = {
  'begin: fail-before': '503 → 201 → 201 replay (runs 0/1/1)',
  'begin: drop-answer': '503 → 409 → 201 (runs 0/0/1)',
  'begin: slow': '201 → 201 → 201 replay (runs 1/1/1)',
  'complete: fail-before': '201 → 409 → 201 (runs 1/1/2)',
  'complete: drop-answer': '201 → 201 → 201 replay (runs 1/1/1)',
  'complete: slow': '201 → 201 → 201 replay (runs 1/1/1)',
  'release: fail-before': '500 → 409 → 201 (runs 1/1/2)',
  'release: drop-answer': '500 → 201 → 201 replay (runs 1/2/2)',
  'release: slow': '500 → 201 → 201 replay (runs 1/2/2)',
  'replay read: fail-before': '503 → 201 → 201 replay (runs 0/0/0)',
  'replay read: drop-answer': '503 → 201 → 201 replay (runs 0/0/0)',
  'replay read: slow': '201 → 201 → 201 replay (runs 0/0/0)',
};
