/** The `type` URI of each problem this library answers with (unless `problemBaseUrl` is set). */
export const PROBLEM_TYPES = {
  keyMissing: 'urn:edge-idempotency:key-missing',
  keyInvalid: 'urn:edge-idempotency:key-invalid',
  bodyTooLarge: 'urn:edge-idempotency:body-too-large',
  mismatch: 'urn:edge-idempotency:fingerprint-mismatch',
  inProgress: 'urn:edge-idempotency:in-progress',
  storeUnavailable: 'urn:edge-idempotency:store-unavailable',
  notRetained: 'urn:edge-idempotency:response-not-retained',
} as const;

/** The name of a problem, as in {@link PROBLEM_TYPES}. */
export type ProblemName = keyof typeof PROBLEM_TYPES;

/** An RFC 9457 problem: what the wrapper answers instead of running the handler. */
export interface Problem {
  /** A `urn:edge-idempotency:*` URI, or under `problemBaseUrl` when that is set. */
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Which problem this is, whatever `type` says. */
  name: ProblemName;
}

/** Turns a problem into the response an API answers with (its own error envelope). */
export type RenderProblem = (problem: Problem, request: Request) => Response | Promise<Response>;

/** How problems are written: the options of the wrapper that concern them. */
export interface ProblemStyle {
  renderProblem?: RenderProblem | undefined;
  problemBaseUrl?: string | undefined;
}

type Details = Omit<Problem, 'type' | 'name'>;

const DETAILS = {
  keyMissing: (header: string) => ({
    title: 'Idempotency key missing',
    status: 400,
    detail: `This endpoint requires an ${header} header.`,
  }),
  keyInvalid: (header: string, reason: string) => ({
    title: 'Idempotency key invalid',
    status: 400,
    detail: `The ${header} header is invalid: ${reason}.`,
  }),
  bodyTooLarge: (maxBytes: number) => ({
    title: 'Request body too large',
    status: 413,
    detail: `Requests with an idempotency key may carry at most ${maxBytes} bytes of body.`,
  }),
  mismatch: (header: string) => ({
    title: 'Idempotency key reused',
    status: 422,
    detail: `This ${header} was already used with a different request (method, path, body or fingerprinted header).`,
  }),
  inProgress: (header: string) => ({
    title: 'Request in progress',
    status: 409,
    detail: `A request with this ${header} is still being processed. Retry later to receive its response.`,
  }),
  storeUnavailable: () => ({
    title: 'Idempotency store unavailable',
    status: 503,
    detail: 'The request was not processed because its idempotency record could not be checked.',
  }),
  notRetained: (status: number) => ({
    title: 'Response not retained',
    status,
    detail:
      'This request was already processed, but its response body was larger than the limit for stored responses and was not kept.',
  }),
} satisfies Record<ProblemName, (...args: never[]) => Details>;

/** The problem called `name`, with its details filled in. */
export function problemOf<N extends ProblemName>(
  name: N,
  style: ProblemStyle,
  ...args: Parameters<(typeof DETAILS)[N]>
): Problem {
  const details = (DETAILS[name] as (...a: typeof args) => Details)(...args);
  const type = style.problemBaseUrl
    ? style.problemBaseUrl + PROBLEM_TYPES[name].replace('urn:edge-idempotency:', '')
    : PROBLEM_TYPES[name];
  return { type, ...details, name };
}

/**
 * The response for a problem: `application/problem+json` by default, or what `renderProblem`
 * makes of it. Either way the status is the problem's, `Retry-After` is set where given and a
 * `Link: <type>; rel="describedby"` points at the documentation when `problemBaseUrl` is set.
 * A renderer that throws falls back to the default: a hook must never turn a 4xx into a 500.
 */
export async function problemResponse(
  problem: Problem,
  request: Request,
  style: ProblemStyle,
  retryAfterSeconds?: number,
): Promise<Response> {
  let rendered: Response | undefined;
  if (style.renderProblem) {
    try {
      rendered = await style.renderProblem(problem, request);
    } catch {
      // `rendered` stays undefined: the default document is answered instead.
    }
  }
  const headers = addProblemHeaders(new Headers(rendered?.headers), problem, style, {
    rendered: rendered !== undefined,
    retryAfterSeconds,
  });
  const body = rendered ? rendered.body : problemDocument(problem);
  return new Response(NULL_BODY_STATUSES.has(problem.status) ? null : body, {
    status: problem.status,
    headers,
  });
}

/** What {@link addProblemHeaders} writes to: a `Headers`, or a list that behaves like one. */
export interface ProblemHeaders {
  has(name: string): boolean;
  set(name: string, value: string): void;
  append(name: string, value: string): void;
}

/**
 * The headers every problem answer carries: the problem+json type (unless `renderProblem`
 * rendered it), `Cache-Control: no-store` unless the renderer set one, `Retry-After` where
 * given and the `describedby` link under `problemBaseUrl`.
 */
export function addProblemHeaders<H extends ProblemHeaders>(
  headers: H,
  problem: Problem,
  style: ProblemStyle,
  { rendered = false, retryAfterSeconds }: { rendered?: boolean; retryAfterSeconds?: number | undefined },
): H {
  if (!rendered) headers.set('content-type', 'application/problem+json');
  if (!headers.has('cache-control')) headers.set('cache-control', 'no-store');
  if (retryAfterSeconds !== undefined) {
    headers.set('retry-after', String(Math.max(1, Math.ceil(retryAfterSeconds))));
  }
  if (style.problemBaseUrl) headers.append('link', `<${problem.type}>; rel="describedby"`);
  return headers;
}

/** The `application/problem+json` document of a problem. */
export function problemDocument({ name: _name, ...document }: Problem): string {
  return JSON.stringify(document);
}

/** Statuses whose responses cannot carry a body. */
export const NULL_BODY_STATUSES = new Set([204, 205, 304]);
