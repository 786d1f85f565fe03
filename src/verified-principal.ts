const principals = new WeakMap<Request, string>();

/**
 * Tell the wrapper who the platform has already verified as the caller of `request` (an IAM
 * ARN, a Cognito identity, a JWT authorizer's `iss` + `sub`). Runtime adapters that know it
 * (Lambda behind an authorizer or IAM auth) call this on the Request they build; the default
 * scope then uses it instead of the `Authorization` header, which a re-signed (SigV4) or
 * refreshed (OAuth) credential changes on every retry.
 *
 * Only ever pass a principal that something trusted verified: a value decoded from an
 * unchecked token would let any caller claim another principal's records.
 */
export function setVerifiedPrincipal(request: Request, principal: string): void {
  if (typeof principal === 'string' && principal !== '') principals.set(request, principal);
}

/** The principal set by {@link setVerifiedPrincipal}, if any. */
export function verifiedPrincipal(request: Request): string | undefined {
  return principals.get(request);
}

/**
 * The default scope: the verified principal when an adapter set one, else the `Authorization`
 * header, else `''`. A principal scope starts with a NUL, which no header value can hold, so a
 * caller cannot forge an `Authorization` header that lands in a verified principal's scope.
 */
export function defaultScope(request: Request, ..._rest: unknown[]): string {
  return scopeOf(principals.get(request), request.headers.get('authorization'));
}

/** {@link defaultScope} of a principal and an `Authorization` value, wherever they were read. */
export function scopeOf(principal: string | undefined, authorization: string | null): string {
  return principal === undefined ? (authorization ?? '') : `\u0000${principal}`;
}
