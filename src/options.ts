import { IdempotencyConfigurationError } from './errors.ts';
import type { IdempotencyEvent } from './guarded-run.ts';
import type { RenderProblem } from './problem.ts';
import { isHeaderName } from './replayable.ts';
import type { IdempotencyStore } from './types.ts';
import { defaultScope } from './verified-principal.ts';

export type { IdempotencyEvent } from './guarded-run.ts';

/** Options of `withIdempotency`. `Args` are the handler's arguments after the request. */
export interface IdempotencyOptions<Args extends unknown[] = unknown[]> {
  /** The store, or a function that builds it from the handler's arguments (e.g. Workers' `env`). */
  store: IdempotencyStore | ((request: Request, ...rest: Args) => IdempotencyStore);
  /** Methods guarded; others pass straight through. Default `['POST', 'PATCH']`. */
  methods?: readonly string[];
  /** Request header holding the key. Default `Idempotency-Key`. */
  headerName?: string;
  /**
   * Answer 400 when the request has no key (no header, or `key` answered nothing). Default
   * `false`: such requests pass through.
   */
  required?: boolean;
  /**
   * Where the key comes from, instead of the `headerName` header: a webhook's delivery id
   * (`webhook-id`, `X-GitHub-Delivery`, see `edge-idempotency/webhooks`) or an id in the body.
   * Gets the request (its body already read: use `body`, the bytes, or `null` without a body)
   * and answers the key, checked like a header key (1–255 printable ASCII), or `undefined`/
   * `null` for none. Every request of a guarded method then has its body read before its key
   * is known, so `maxBodyBytes` (413) applies to all of them.
   */
  key?: (
    request: Request,
    body: Uint8Array | null,
  ) => string | null | undefined | Promise<string | null | undefined>;
  /** Requests for which this answers true pass straight through, unguarded and unread. */
  skip?: (request: Request) => boolean;
  /**
   * Render the wrapper's own answers (400, 409, 413, 422, 503 and the body of a not-retained
   * replay) in your API's error format, e.g. Stripe's `{ "error": { "type": ... } }`. The
   * wrapper keeps the problem's status and its `Retry-After`; a renderer that throws falls back
   * to `application/problem+json`.
   */
  renderProblem?: RenderProblem;
  /**
   * Make each problem `type` a URL under this base (`https://example.com/errors/` gives
   * `https://example.com/errors/in-progress`) and add `Link: <type>; rel="describedby"`, so an
   * error links to your documentation. Default: `urn:edge-idempotency:*` types, no link.
   */
  problemBaseUrl?: string;
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
  /** Called once per decision; what it throws, or a promise it returns that rejects, is ignored. */
  onEvent?: (event: IdempotencyEvent) => unknown;
}

/** Options with every default filled in and checked. */
export interface ResolvedOptions<Args extends unknown[]> {
  store: IdempotencyOptions<Args>['store'];
  methods: ReadonlySet<string>;
  headerName: string;
  required: boolean;
  key: IdempotencyOptions<Args>['key'];
  skip: IdempotencyOptions<Args>['skip'];
  renderProblem: RenderProblem | undefined;
  problemBaseUrl: string | undefined;
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
  onEvent: ((event: IdempotencyEvent) => unknown) | undefined;
}

const MiB = 1024 * 1024;
/** The largest part the hashing takes (see `hashing.ts`). */
const MAX_BODY_BYTES = 128 * MiB - 1;

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
  if (!isHeaderName(headerName)) {
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
  if ((options.maxBodyBytes ?? 0) > MAX_BODY_BYTES) {
    throw new IdempotencyConfigurationError(`maxBodyBytes can be at most ${MAX_BODY_BYTES} (128 MiB)`);
  }
  if (options.problemBaseUrl !== undefined && !isUrl(options.problemBaseUrl)) {
    throw new IdempotencyConfigurationError(
      `problemBaseUrl ${JSON.stringify(options.problemBaseUrl)} is not a URL`,
    );
  }
  return {
    store: options.store,
    methods: new Set((options.methods ?? ['POST', 'PATCH']).map((method) => method.toUpperCase())),
    headerName,
    required: options.required ?? false,
    key: options.key,
    skip: options.skip,
    renderProblem: options.renderProblem,
    problemBaseUrl: options.problemBaseUrl,
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

function isUrl(text: string): boolean {
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
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
