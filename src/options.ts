import { IdempotencyConfigurationError } from './errors.ts';
import type { IdempotencyStore } from './types.ts';
import { defaultScope } from './verified-principal.ts';

/** What the wrapper reports, once per decision, for metrics and logs. */
export interface IdempotencyEvent {
  type:
    | 'new' // the key was taken; the handler runs
    | 'replay' // a completed response was replayed
    | 'conflict' // the key is held by a running request (409, or waiting ran out)
    | 'mismatch' // the key was used with another request (422)
    | 'stored' // the handler's response was stored
    | 'not_retained' // the response was stored without its body (too large), or replayed so
    | 'released' // the handler threw or its response was not to be stored; the key is free
    | 'lease_lost' // the handler outlived its lease; its response was not stored
    | 'store_error'; // the store failed; `error` has the cause
  /** The storage key: a hash, never the client's raw key. */
  key: string;
  /** The store's name. */
  store: string;
  /** Milliseconds since the wrapper started on this request. */
  durationMs: number;
  /** The status answered, where there is one. */
  status?: number;
  error?: unknown;
}

/** Options of `withIdempotency`. `Args` are the handler's arguments after the request. */
export interface IdempotencyOptions<Args extends unknown[] = unknown[]> {
  /** The store, or a function that builds it from the handler's arguments (e.g. Workers' `env`). */
  store: IdempotencyStore | ((request: Request, ...rest: Args) => IdempotencyStore);
  /** Methods guarded; others pass straight through. Default `['POST', 'PATCH']`. */
  methods?: readonly string[];
  /** Request header holding the key. Default `Idempotency-Key`. */
  headerName?: string;
  /** Answer 400 when the header is missing. Default `false`: such requests pass through. */
  required?: boolean;
  /**
   * Request headers that are part of the fingerprint. Default `['content-type']`. Never list
   * volatile headers (Date, tracing ids), or every retry is a 422.
   */
  fingerprintHeaders?: readonly string[];
  /**
   * Replace the fingerprint. Gets the request (its body already read: use `body`) and the body
   * bytes; any string works, it is hashed before it is stored.
   */
  fingerprint?: (request: Request, body: Uint8Array | null) => string | Promise<string>;
  /**
   * Who the key belongs to. Keys are stored under a hash of (scope, key), so equal keys of two
   * principals never meet. Default: the principal an adapter verified (Lambda authorizer or
   * IAM identity, see `setVerifiedPrincipal`), else the `Authorization` header, else `''`. A
   * credential that rotates (an OAuth token refreshed, a SigV4 signature) is a new scope: give a
   * `scope` that answers the verified user instead.
   */
  scope?: (request: Request, ...rest: Args) => string | Promise<string>;
  /** Prepended to every storage key (e.g. one per route or service). Default `''`. */
  prefix?: string;
  /** How long a completed response is kept and replayed. Default 86,400 (a day). */
  ttlSeconds?: number;
  /**
   * How long a running request holds its key; after that it counts as crashed and the key is
   * free again. Default 60. Capped by an adapter's deadline (Lambda's remaining time).
   */
  leaseSeconds?: number;
  /** A duplicate arriving while the first runs: `'reject'` (409, default) or `'wait'` for the replay. */
  onConflict?: 'reject' | 'wait';
  /** With `onConflict: 'wait'`, how long to wait before answering 409. Default 10,000. */
  waitTimeoutMs?: number;
  /**
   * The store fails: `'fail-closed'` answers 503 (default); `'fail-open'` runs the handler
   * unguarded and reports a `store_error` event.
   */
  onStoreError?: 'fail-closed' | 'fail-open';
  /** Largest request body accepted on a guarded request; larger gets 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Largest response body stored; a larger one completes the key without its body. Default 1 MiB. */
  maxResponseBytes?: number;
  /** Which responses are stored. Default: status below 500 (a 5xx releases the key). */
  shouldStore?: (response: Response) => boolean;
  /** Store and replay `Set-Cookie` headers. Default `false`: session cookies are not replayed. */
  storeSetCookie?: boolean;
  /** Called once per decision; exceptions it throws are ignored. */
  onEvent?: (event: IdempotencyEvent) => void;
}

/** Options with every default filled in and checked. */
export interface ResolvedOptions<Args extends unknown[]> {
  store: IdempotencyOptions<Args>['store'];
  methods: ReadonlySet<string>;
  headerName: string;
  required: boolean;
  fingerprintHeaders: readonly string[];
  fingerprint: IdempotencyOptions<Args>['fingerprint'];
  scope: (request: Request, ...rest: Args) => string | Promise<string>;
  prefix: string;
  ttlMs: number;
  leaseMs: number;
  onConflict: 'reject' | 'wait';
  waitTimeoutMs: number;
  onStoreError: 'fail-closed' | 'fail-open';
  maxBodyBytes: number;
  maxResponseBytes: number;
  shouldStore: (response: Response) => boolean;
  storeSetCookie: boolean;
  onEvent: ((event: IdempotencyEvent) => void) | undefined;
}

const MiB = 1024 * 1024;

/** Fill in defaults and reject options that cannot work, with a message saying why. */
export function resolveOptions<Args extends unknown[]>(
  options: IdempotencyOptions<Args>,
): ResolvedOptions<Args> {
  if (!options?.store) {
    throw new IdempotencyConfigurationError('withIdempotency needs a `store` (or a function returning one)');
  }
  const ttlSeconds = options.ttlSeconds ?? 86_400;
  const leaseSeconds = options.leaseSeconds ?? 60;
  checkTtl(ttlSeconds, leaseSeconds, typeof options.store === 'function' ? undefined : options.store);
  const headerName = options.headerName ?? 'Idempotency-Key';
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(headerName)) {
    throw new IdempotencyConfigurationError(
      `headerName ${JSON.stringify(headerName)} is not a valid header name`,
    );
  }
  for (const [name, value] of [
    ['maxBodyBytes', options.maxBodyBytes],
    ['maxResponseBytes', options.maxResponseBytes],
    ['waitTimeoutMs', options.waitTimeoutMs],
  ] as const) {
    if (value !== undefined && !(Number.isInteger(value) && value >= 0)) {
      throw new IdempotencyConfigurationError(`${name} must be a whole number of 0 or more, got ${value}`);
    }
  }
  return {
    store: options.store,
    methods: new Set((options.methods ?? ['POST', 'PATCH']).map((method) => method.toUpperCase())),
    headerName,
    required: options.required ?? false,
    fingerprintHeaders: options.fingerprintHeaders ?? ['content-type'],
    fingerprint: options.fingerprint,
    scope: options.scope ?? (defaultScope as ResolvedOptions<Args>['scope']),
    prefix: options.prefix ?? '',
    ttlMs: ttlSeconds * 1000,
    leaseMs: leaseSeconds * 1000,
    onConflict: options.onConflict ?? 'reject',
    waitTimeoutMs: options.waitTimeoutMs ?? 10_000,
    onStoreError: options.onStoreError ?? 'fail-closed',
    maxBodyBytes: options.maxBodyBytes ?? MiB,
    maxResponseBytes: options.maxResponseBytes ?? MiB,
    shouldStore: options.shouldStore ?? ((response) => response.status < 500),
    storeSetCookie: options.storeSetCookie ?? false,
    onEvent: options.onEvent,
  };
}

/** Check a TTL and lease pair, and the TTL against the store's limit when the store is known. */
export function checkTtl(ttlSeconds: number, leaseSeconds: number, store?: IdempotencyStore): void {
  for (const [name, value] of [
    ['ttlSeconds', ttlSeconds],
    ['leaseSeconds', leaseSeconds],
  ] as const) {
    if (!(Number.isFinite(value) && value > 0)) {
      throw new IdempotencyConfigurationError(`${name} must be a positive number of seconds, got ${value}`);
    }
  }
  if (leaseSeconds > ttlSeconds) {
    throw new IdempotencyConfigurationError(
      `leaseSeconds (${leaseSeconds}) cannot be longer than ttlSeconds (${ttlSeconds}): a running request would outlive its record`,
    );
  }
  if (store?.maxTtlSeconds !== undefined && ttlSeconds > store.maxTtlSeconds) {
    throw new IdempotencyConfigurationError(
      `ttlSeconds (${ttlSeconds}) is over the ${store.name} store's maximum of ${store.maxTtlSeconds}`,
    );
  }
}
