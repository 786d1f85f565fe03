/**
 * The differential test of the two Lambda paths: `toLambdaHandler(withIdempotency(app))`, which
 * builds a Request and reads a Response, and `withLambdaIdempotency(handler)`, which never does.
 * Every scenario runs through both, on every event source and on MemoryStore and DynamoDB Local,
 * and must give the same results, the same handler runs, the same events and the same store
 * calls (storage keys, fingerprints, stored responses); each path must replay the other's records.
 */
import { describe, expect, it } from 'vitest';
import { HeaderList } from '../../adapters/lambda/header-list.ts';
import {
  type LambdaHttpEvent,
  type LambdaHttpResult,
  toLambdaHandler,
  withLambdaIdempotency,
} from '../../adapters/lambda/index.ts';
import {
  type IdempotencyEvent,
  type IdempotencyOptions,
  type IdempotencyStore,
  MemoryStore,
  type Problem,
  withIdempotency,
} from '../../src/index.ts';
import { lambdaContext, loadEvent, SOURCES, setBody, setHeader, setMethod } from './events.ts';
import { lambdaStores } from './stores.ts';

const STORES = lambdaStores();

/** A store call as recorded: no token (random per lock), the key without its path prefix. */
type Call = {
  op: string;
  key?: string;
  fingerprint?: string;
  leaseMs?: number;
  response?: unknown;
  ttlMs?: number;
};

function recording(inner: IdempotencyStore, prefix: string): { store: IdempotencyStore; calls: Call[] } {
  const calls: Call[] = [];
  const strip = (key: string) => key.slice(prefix.length);
  const store: IdempotencyStore = {
    name: inner.name,
    maxTtlSeconds: inner.maxTtlSeconds,
    maxRecordBytes: inner.maxRecordBytes,
    begin(input) {
      // The lease follows the deadline to the millisecond: recorded to the second.
      calls.push({
        op: 'begin',
        key: strip(input.key),
        fingerprint: input.fingerprint,
        leaseMs: Math.round(input.leaseMs / 1000),
      });
      return inner.begin(input);
    },
    complete(input) {
      const { status, headers, body } = input.response;
      const response = { status, headers, body: body && [...body] };
      calls.push({ op: 'complete', key: strip(input.key), response, ttlMs: input.ttlMs });
      return inner.complete(input);
    },
    release(key, token) {
      calls.push({ op: 'release', key: strip(key) });
      return inner.release(key, token);
    },
    get: (key) => inner.get(key),
    delete: (key) => inner.delete(key),
    getMany: (keys) => inner.getMany(keys),
    deleteMany: (keys) => inner.deleteMany(keys),
  };
  return { store, calls };
}

/** What the handler answers in a scenario, as a fetch app; the native handler gives the same. */
type App = (request: Request) => Response | Promise<Response>;

const json: App = async (request) => {
  const headers = new Headers({ 'content-type': 'application/json', 'x-order': 'o-1' });
  headers.append('vary', 'accept');
  headers.append('vary', 'origin');
  headers.append('set-cookie', 'a=1; Path=/');
  headers.append('set-cookie', 'b=2; Path=/');
  return new Response(JSON.stringify({ echo: await request.text(), method: request.method }), {
    status: 201,
    headers,
  });
};
const binary: App = () =>
  new Response(
    Uint8Array.from({ length: 256 }, (_, i) => i),
    { headers: { 'content-type': 'image/png' } },
  );
const failing: App = () => new Response('down', { status: 503 });
const noContent: App = () => new Response(null, { status: 204, headers: { etag: '"x"' } });

interface Step {
  /** Changes to this request's event (a fresh fixture copy). */
  edit?: (event: LambdaHttpEvent) => void;
}

interface Scenario {
  name: string;
  app: App;
  options?: Partial<IdempotencyOptions> & { trustAlbOidcHeaders?: boolean };
  steps: Step[];
  /** A store that fails, instead of the store under test. */
  failingStore?: boolean;
  /** Each path renders problems in the same custom format (or with a renderer that throws). */
  renderProblem?: 'custom' | 'throws';
}

/** One error format, as each path's renderer writes it: a Response, and a Lambda result. */
const customError = (problem: Problem) => ({
  headers: { 'content-type': 'application/vnd.error+json', 'x-error-format': 'v1' },
  body: JSON.stringify({ error: { code: problem.type, status: problem.status } }),
});
const renderers = {
  custom: {
    fetch: (problem: Problem) => {
      const { headers, body } = customError(problem);
      return new Response(body, { status: 200, headers });
    },
    native: (problem: Problem) => {
      const { headers, body } = customError(problem);
      // REST APIs and ALB in multi-value mode read multiValueHeaders; the others, headers.
      const multiValueHeaders = Object.fromEntries(Object.entries(headers).map(([n, v]) => [n, [v]]));
      return { headers, multiValueHeaders, body };
    },
  },
  throws: {
    fetch: () => {
      throw new Error('renderer broke');
    },
    native: () => {
      throw new Error('renderer broke');
    },
  },
};

const withKey = (key: string) => (event: LambdaHttpEvent) => setHeader(event, 'idempotency-key', key);

/** The key sent again with another body: a 422. */
const reusedKeySteps = (key: string): Step[] => [
  { edit: withKey(key) },
  {
    edit: (event) => {
      withKey(key)(event);
      setBody(event, '{"amount":999}', false);
    },
  },
];

const SCENARIOS: Array<(key: string) => Scenario> = [
  (key) => ({
    name: 'new then replay, with repeated headers and cookies',
    app: json,
    steps: [{ edit: withKey(key) }, { edit: withKey(key) }],
  }),
  (key) => ({
    name: 'Set-Cookie stored when asked',
    app: json,
    options: { storeSetCookie: true },
    steps: [{ edit: withKey(key) }, { edit: withKey(key) }],
  }),
  (key) => ({
    name: 'binary body, base64 both ways',
    app: binary,
    steps: [{ edit: withKey(key) }, { edit: withKey(key) }],
  }),
  (key) => ({
    name: 'the same key with another body: 422',
    app: json,
    steps: reusedKeySteps(key),
  }),
  (key) => ({
    name: 'a base64 body and the same bytes as text replay',
    app: json,
    steps: [
      {
        edit: (event) => {
          withKey(key)(event);
          setBody(event, btoa('{"a":1}'), true);
        },
      },
      {
        edit: (event) => {
          withKey(key)(event);
          setBody(event, '{"a":1}', false);
        },
      },
    ],
  }),
  () => ({
    name: 'no key, required: 400',
    app: json,
    options: { required: true },
    steps: [{ edit: (event) => setHeader(event, 'idempotency-key', undefined) }],
  }),
  () => ({
    name: 'no key, not required: runs unguarded',
    app: json,
    steps: [{ edit: (event) => setHeader(event, 'idempotency-key', undefined) }],
  }),
  () => ({ name: 'an invalid key: 400', app: json, steps: [{ edit: withKey('a, b') }] }),
  (key) => ({
    name: 'a body over maxBodyBytes: 413',
    app: json,
    options: { maxBodyBytes: 8 },
    steps: [{ edit: withKey(key) }],
  }),
  (key) => ({
    name: 'a GET passes through',
    app: json,
    steps: [
      {
        edit: (event) => {
          withKey(key)(event);
          setMethod(event, 'GET');
        },
      },
      {
        edit: (event) => {
          withKey(key)(event);
          setMethod(event, 'GET');
        },
      },
    ],
  }),
  (key) => ({
    name: 'a 5xx releases the key: runs twice',
    app: failing,
    steps: [{ edit: withKey(key) }, { edit: withKey(key) }],
  }),
  (key) => ({
    name: 'a body over maxResponseBytes is not retained',
    app: json,
    options: { maxResponseBytes: 4, problemBaseUrl: 'https://example.com/errors/' },
    steps: [{ edit: withKey(key) }, { edit: withKey(key) }],
  }),
  (key) => ({
    name: 'renderProblem: a 422 in your format',
    app: json,
    renderProblem: 'custom',
    options: { problemBaseUrl: 'https://example.com/errors/' },
    steps: reusedKeySteps(key),
  }),
  (key) => ({
    name: 'renderProblem: a not-retained replay in your format',
    app: json,
    renderProblem: 'custom',
    options: { maxResponseBytes: 4 },
    steps: [{ edit: withKey(key) }, { edit: withKey(key) }],
  }),
  () => ({
    name: 'renderProblem that throws: problem+json',
    app: json,
    renderProblem: 'throws',
    options: { required: true },
    steps: [{ edit: (event) => setHeader(event, 'idempotency-key', undefined) }],
  }),
  (key) => ({
    name: 'a 204 replays without a body',
    app: noContent,
    steps: [{ edit: withKey(key) }, { edit: withKey(key) }],
  }),
  (key) => ({
    name: 'a store that fails: 503',
    app: json,
    failingStore: true,
    steps: [{ edit: withKey(key) }],
  }),
  (key) => ({
    name: 'a store that fails, fail-open: runs',
    app: json,
    failingStore: true,
    options: { onStoreError: 'fail-open' },
    steps: [{ edit: withKey(key) }],
  }),
  (key) => ({
    name: 'a verified principal with a rotating Authorization replays',
    app: json,
    options: { trustAlbOidcHeaders: true },
    steps: [1, 2].map((n) => ({
      edit: (event: LambdaHttpEvent) => {
        withKey(key)(event);
        setHeader(event, 'authorization', `Bearer token-${n}`);
        setHeader(event, 'x-amzn-oidc-identity', 'user-7');
        setHeader(event, 'x-amzn-oidc-data', `jwt-${n}`);
        const context = (event as { requestContext: Record<string, unknown> }).requestContext;
        context.identity = { userArn: 'arn:aws:iam::123456789012:user/alice' };
        context.authorizer = { iam: { userArn: 'arn:aws:iam::123456789012:user/alice' } };
      },
    })),
  }),
  (key) => ({
    name: 'another Authorization without a principal is another scope',
    app: json,
    steps: [1, 2].map((n) => ({
      edit: (event: LambdaHttpEvent) => {
        withKey(key)(event);
        setHeader(event, 'authorization', `Bearer token-${n}`);
      },
    })),
  }),
  (key) => ({
    name: 'fingerprint headers',
    app: json,
    options: { fingerprintHeaders: ['content-type', 'x-tenant'] },
    steps: ['t1', 't2'].map((tenant) => ({
      edit: (event: LambdaHttpEvent) => {
        withKey(key)(event);
        setHeader(event, 'x-tenant', tenant);
      },
    })),
  }),
];

/** Events no path can turn into a request, and a few it can that look close. */
const EDGE_EVENTS: Array<[string, (event: LambdaHttpEvent) => void]> = [
  ['a header value with a newline', (event) => setHeader(event, 'x-bad', 'a\nb')],
  ['a header value with NUL', (event) => setHeader(event, 'x-bad', 'a\u0000b')],
  ['a header value past Latin-1', (event) => setHeader(event, 'x-bad', 'caf\u0113')],
  ['a header value in Latin-1', (event) => setHeader(event, 'x-ok', 'caf\u00e9')],
  ['a header value with edge whitespace', (event) => setHeader(event, 'x-ok', ' \t padded \t ')],
  ['a header name with a space', (event) => setHeader(event, 'x bad', 'v')],
  ['a Host with credentials', (event) => setHeader(event, 'host', 'user:pw@example.com')],
  ['a Host that is not a host', (event) => setHeader(event, 'host', 'exa mple.com')],
  ['the method TRACE', (event) => setMethod(event, 'TRACE')],
  ['the method connect', (event) => setMethod(event, 'connect')],
  ['a method that is not a token', (event) => setMethod(event, 'PO ST')],
  ['a lowercase custom method', (event) => setMethod(event, 'purge')],
  ['a body not base64', (event) => setBody(event, '%%%', true)],
  ['a body with a lone surrogate', (event) => setBody(event, 'a\uD800b', false)],
  [
    'a path with a lone surrogate',
    (event) => Object.assign(event, { path: '/a\uDC00', rawPath: '/a\uDC00' }),
  ],
];

function failingStore(): IdempotencyStore {
  const fail = () => Promise.reject(new Error('store down'));
  return {
    name: 'failing',
    begin: fail,
    complete: fail,
    release: fail,
    get: fail,
    delete: fail,
    getMany: fail,
    deleteMany: fail,
  };
}

interface PathRun {
  results: LambdaHttpResult[];
  calls: Call[];
  events: Array<Pick<IdempotencyEvent, 'type' | 'status'>>;
  runs: number;
}

type PathName = 'fetch' | 'native';

/**
 * ALB without multi-value headers sends the client only the last `Set-Cookie`: a handler that
 * answers in that shape can return no more, so with `storeSetCookie` the fetch path stores every
 * cookie of its Response and the native one the cookie the client got. Replays are the same.
 */
function keepLastCookie(calls: Call[]): void {
  for (const call of calls) {
    const response = call.response as { headers: Array<[string, string]> } | undefined;
    if (!response) continue;
    const cookies = response.headers.filter(([name]) => name === 'set-cookie');
    response.headers = response.headers.filter(
      ([name, value]) => name !== 'set-cookie' || value === cookies.at(-1)?.[1],
    );
  }
}

/** The two Lambda handlers of one scenario, over one store and the same app. */
function handlers(scenario: Scenario, store: IdempotencyStore, onEvent: (event: IdempotencyEvent) => void) {
  let runs = 0;
  const app: App = (request) => {
    runs++;
    return scenario.app(request);
  };
  const { trustAlbOidcHeaders, ...options } = scenario.options ?? {};
  const shared = { ...options, store, onEvent };
  const lambdaOptions = { trustAlbOidcHeaders: trustAlbOidcHeaders ?? false };
  const plain = toLambdaHandler(app, lambdaOptions);
  const render = scenario.renderProblem && renderers[scenario.renderProblem];
  return {
    runs: () => runs,
    fetch: toLambdaHandler(withIdempotency(app, { ...shared, renderProblem: render?.fetch }), lambdaOptions),
    // The native handler answers what the fetch app answers, through the same adapter.
    native: withLambdaIdempotency((event: LambdaHttpEvent, context) => plain(event, context), {
      ...(shared as Omit<
        typeof shared,
        'key' | 'skip' | 'fingerprint' | 'scope' | 'shouldStore' | 'renderProblem'
      >),
      renderProblem: render?.native,
      ...lambdaOptions,
    }),
  };
}

async function runPath(
  path: PathName,
  scenario: Scenario,
  fixture: string,
  inner: IdempotencyStore,
  prefix: string,
): Promise<PathRun> {
  const { store, calls } = recording(scenario.failingStore ? failingStore() : inner, prefix);
  const events: PathRun['events'] = [];
  const wrapped = handlers(
    { ...scenario, options: { ...scenario.options, prefix } },
    store,
    ({ type, status }) => events.push({ type, status }),
  );
  const results: LambdaHttpResult[] = [];
  for (const step of scenario.steps) {
    const event = loadEvent(fixture);
    step.edit?.(event);
    results.push(await wrapped[path](event, lambdaContext(300_000)));
  }
  return { results, calls, events, runs: wrapped.runs() };
}

describe.each(STORES)('the two Lambda paths on $name', (storeCase) => {
  describe.each(SOURCES)('$name', (source) => {
    it.each(SCENARIOS.map((make) => [make('').name, make] as const))(
      '%s: same results, runs, events and store calls',
      async (_name, make) => {
        const scenario = make(`k-${crypto.randomUUID()}`);
        const store = storeCase.store();
        const run = crypto.randomUUID();
        const viaFetch = await runPath('fetch', scenario, source.fixture, store, `${run}:fetch:`);
        const viaNative = await runPath('native', scenario, source.fixture, store, `${run}:native:`);
        if (source.name === 'ALB single-value headers') keepLastCookie(viaFetch.calls);
        expect(viaNative).toEqual(viaFetch);
        expect(viaFetch.calls.length + viaFetch.results.length).toBeGreaterThan(0);
      },
    );

    it('each path replays what the other stored', async () => {
      const store = storeCase.store();
      for (const [first, second] of [
        ['fetch', 'native'],
        ['native', 'fetch'],
      ] as const) {
        const key = `k-${crypto.randomUUID()}`;
        const scenario: Scenario = { name: 'cross', app: json, steps: [{ edit: withKey(key) }] };
        const h = handlers(scenario, store, () => {});
        const event = () => {
          const e = loadEvent(source.fixture);
          withKey(key)(e);
          return e;
        };
        const stored = await h[first](event(), lambdaContext(300_000));
        const replayA = await h[second](event(), lambdaContext(300_000));
        const replayB = await h[first](event(), lambdaContext(300_000));
        expect(h.runs()).toBe(1);
        expect(replayA).toEqual(replayB);
        expect(replayA.statusCode).toBe(stored.statusCode);
        expect(JSON.stringify(replayA)).toContain('idempotent-replayed');
      }
    });

    it('a duplicate while the first runs gets the same 409 on both paths', async () => {
      const store = storeCase.store();
      const outcomes: Record<PathName, LambdaHttpResult> = {} as never;
      for (const path of ['fetch', 'native'] as const) {
        const key = `k-${crypto.randomUUID()}`;
        let entered!: () => void;
        let finish!: () => void;
        const inside = new Promise<void>((resolve) => {
          entered = resolve;
        });
        const held = new Promise<void>((resolve) => {
          finish = resolve;
        });
        const scenario: Scenario = {
          name: 'held',
          app: async (request) => {
            entered();
            await held;
            return json(request);
          },
          steps: [],
        };
        const h = handlers(scenario, store, () => {});
        const event = () => {
          const e = loadEvent(source.fixture);
          withKey(key)(e);
          return e;
        };
        const first = h[path](event(), lambdaContext(300_000));
        await inside;
        outcomes[path] = await h[path](event(), lambdaContext(300_000));
        finish();
        await first;
        expect(h.runs()).toBe(1);
      }
      expect(outcomes.native).toEqual(outcomes.fetch);
      expect(outcomes.native.statusCode).toBe(409);
    });
  });
});

describe('events neither path can serve', () => {
  describe.each(SOURCES)('$name', (source) => {
    it.each(EDGE_EVENTS)('%s: the same answer on both paths', async (_name, edit) => {
      const answers: Record<PathName, LambdaHttpResult> = {} as never;
      for (const path of ['fetch', 'native'] as const) {
        // A store each, so each path serves the event as a first request.
        const h = handlers({ name: 'edge', app: json, steps: [] }, new MemoryStore(), () => {});
        const event = loadEvent(source.fixture);
        withKey('edge-key')(event);
        edit(event);
        answers[path] = await h[path](event, lambdaContext(300_000));
      }
      expect(answers.native).toEqual(answers.fetch);
    });
  });

  it('an event of no known source', async () => {
    const h = handlers({ name: 'none', app: json, steps: [] }, new MemoryStore(), () => {});
    const event = { hello: 'world' } as unknown as LambdaHttpEvent;
    expect(await h.native(event, lambdaContext(1000))).toEqual(await h.fetch(event, lambdaContext(1000)));
  });
});

describe('HeaderList, against Headers', () => {
  const names = ['a', 'B', 'x-Multi', 'set-cookie', 'Set-Cookie', 'bad name', 'é', '', 'a:b', 'tab\tname'];
  const values = [
    'v',
    ' padded ',
    '\t\ttabs\t',
    '',
    'a\nb',
    'a\rb',
    'a\u0000b',
    'caf\u00e9',
    'caf\u0113',
    'lone\uD800',
    '\n edge \r',
    'x, y',
  ];
  const read = (headers: Headers | HeaderList) => ({
    entries: [...headers],
    get: names.map((name) => {
      try {
        return headers.get(name);
      } catch {
        return 'throws';
      }
    }),
    cookies: headers.getSetCookie(),
  });

  it('accepts, refuses and reads back exactly as Headers does, over every pair and sequences of them', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 2000; round++) {
      const headers = new Headers();
      const list = new HeaderList();
      const length = 1 + random(5);
      for (let i = 0; i < length; i++) {
        const name = names[random(names.length)] as string;
        const value = values[random(values.length)] as string;
        const op = random(3) === 0 ? 'set' : 'append';
        let webError = false;
        let listError = false;
        try {
          headers[op](name, value);
        } catch {
          webError = true;
        }
        try {
          list[op](name, value);
        } catch {
          listError = true;
        }
        expect({ name, value, op, listError }).toEqual({ name, value, op, listError: webError });
      }
      expect(read(list)).toEqual(read(headers));
    }
  });
});

describe('withLambdaIdempotency on its own', () => {
  const store = () => new MemoryStore();

  it('stores an HTTP API shorthand result (no statusCode) as API Gateway answers it', async () => {
    let runs = 0;
    const handler = withLambdaIdempotency(
      async () => {
        runs++;
        return { ordered: true };
      },
      { store: store() },
    );
    const event = () => {
      const e = loadEvent('api-gateway-v2-http.json');
      withKey('shorthand')(e);
      return e;
    };
    expect(await handler(event(), lambdaContext(10_000))).toEqual({ ordered: true });
    const replay = await handler(event(), lambdaContext(10_000));
    expect(runs).toBe(1);
    expect(replay).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'idempotent-replayed': 'true' },
      body: '{"ordered":true}',
    });
  });

  it('shows shouldStore an HTTP API shorthand result as the 200 JSON result it stands for', async () => {
    const seen: unknown[] = [];
    const handler = withLambdaIdempotency(async () => 'plain text', {
      store: store(),
      shouldStore: (result) => {
        seen.push(result);
        return true;
      },
    });
    const e = loadEvent('api-gateway-v2-http.json');
    withKey('shorthand-string')(e);
    expect(await handler(e, lambdaContext(10_000))).toBe('plain text');
    expect(seen).toEqual([
      { statusCode: 200, headers: { 'content-type': 'application/json' }, body: 'plain text' },
    ]);
  });

  it('takes the key, scope and fingerprint from the event through its hooks', async () => {
    let runs = 0;
    const handler = withLambdaIdempotency(
      async (event: LambdaHttpEvent) => {
        runs++;
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: event.body ?? '' };
      },
      {
        store: store(),
        key: (_event, body) => JSON.parse(new TextDecoder().decode(body as Uint8Array)).id,
        scope: () => 'tenant-1',
        fingerprint: () => 'same',
      },
    );
    const event = (body: string) => {
      const e = loadEvent('api-gateway-v1-rest.json');
      setBody(e, body, false);
      return e;
    };
    await handler(event('{"id":"evt-1","n":1}'), lambdaContext(10_000));
    const replay = await handler(event('{"id":"evt-1","n":2}'), lambdaContext(10_000));
    expect(runs).toBe(1);
    expect(replay).toMatchObject({ statusCode: 200, body: '{"id":"evt-1","n":1}' });
  });

  it('releases the key when the handler throws, and passes the error on', async () => {
    let runs = 0;
    const handler = withLambdaIdempotency(
      async () => {
        runs++;
        if (runs === 1) throw new Error('boom');
        return { statusCode: 201, body: 'ok' };
      },
      { store: store() },
    );
    const event = () => {
      const e = loadEvent('function-url.json');
      withKey('throws')(e);
      return e;
    };
    await expect(handler(event(), lambdaContext(10_000))).rejects.toThrow('boom');
    expect(await handler(event(), lambdaContext(10_000))).toMatchObject({ statusCode: 201 });
    expect(runs).toBe(2);
  });

  it('passes a result the service would refuse through unstored, and releases the key', async () => {
    let runs = 0;
    const handler = withLambdaIdempotency(
      async () => {
        runs++;
        return { statusCode: 200, headers: { 'x-bad': 'a\nb' }, body: 'x' };
      },
      { store: store() },
    );
    const event = () => {
      const e = loadEvent('api-gateway-v1-rest.json');
      withKey('unreplayable')(e);
      return e;
    };
    await handler(event(), lambdaContext(10_000));
    await handler(event(), lambdaContext(10_000));
    expect(runs).toBe(2);
  });

  it('many identical invocations at once run the handler once', async () => {
    let runs = 0;
    const handler = withLambdaIdempotency(
      async () => {
        runs++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { statusCode: 201, body: 'charged' };
      },
      { store: store(), onConflict: 'wait' },
    );
    const event = () => {
      const e = loadEvent('api-gateway-v2-http.json');
      withKey('burst')(e);
      return e;
    };
    const results = await Promise.all(
      Array.from({ length: 25 }, () => handler(event(), lambdaContext(10_000))),
    );
    expect(runs).toBe(1);
    expect(results.every((result) => result.statusCode === 201)).toBe(true);
  });
});
