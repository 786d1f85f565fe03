/** The `type` URI of each problem this library answers with. */
export const PROBLEM_TYPES = {
  keyMissing: 'urn:edge-idempotency:key-missing',
  keyInvalid: 'urn:edge-idempotency:key-invalid',
  bodyTooLarge: 'urn:edge-idempotency:body-too-large',
  mismatch: 'urn:edge-idempotency:fingerprint-mismatch',
  inProgress: 'urn:edge-idempotency:in-progress',
  storeUnavailable: 'urn:edge-idempotency:store-unavailable',
  notRetained: 'urn:edge-idempotency:response-not-retained',
} as const;

interface Problem {
  type: (typeof PROBLEM_TYPES)[keyof typeof PROBLEM_TYPES];
  title: string;
  status: number;
  detail: string;
}

/** An RFC 9457 `application/problem+json` response. */
export function problemResponse(problem: Problem, headers: HeadersInit = {}): Response {
  const response = new Response(JSON.stringify(problem), { status: problem.status, headers });
  response.headers.set('content-type', 'application/problem+json');
  response.headers.set('cache-control', 'no-store');
  return response;
}

const retryAfter = (seconds: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(seconds))) });

export const problems = {
  keyMissing: (header: string) =>
    problemResponse({
      type: PROBLEM_TYPES.keyMissing,
      title: 'Idempotency key missing',
      status: 400,
      detail: `This endpoint requires an ${header} header.`,
    }),
  keyInvalid: (header: string, reason: string) =>
    problemResponse({
      type: PROBLEM_TYPES.keyInvalid,
      title: 'Idempotency key invalid',
      status: 400,
      detail: `The ${header} header is invalid: ${reason}.`,
    }),
  bodyTooLarge: (maxBytes: number) =>
    problemResponse({
      type: PROBLEM_TYPES.bodyTooLarge,
      title: 'Request body too large',
      status: 413,
      detail: `Requests with an idempotency key may carry at most ${maxBytes} bytes of body.`,
    }),
  mismatch: (header: string) =>
    problemResponse({
      type: PROBLEM_TYPES.mismatch,
      title: 'Idempotency key reused',
      status: 422,
      detail: `This ${header} was already used with a different request (method, path, body or fingerprinted header).`,
    }),
  inProgress: (header: string, retryAfterSeconds: number) =>
    problemResponse(
      {
        type: PROBLEM_TYPES.inProgress,
        title: 'Request in progress',
        status: 409,
        detail: `A request with this ${header} is still being processed. Retry later to receive its response.`,
      },
      retryAfter(retryAfterSeconds),
    ),
  storeUnavailable: (retryAfterSeconds: number) =>
    problemResponse(
      {
        type: PROBLEM_TYPES.storeUnavailable,
        title: 'Idempotency store unavailable',
        status: 503,
        detail: 'The request was not processed because its idempotency record could not be checked.',
      },
      retryAfter(retryAfterSeconds),
    ),
};
