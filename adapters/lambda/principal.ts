// The caller identity AWS verified before the event reached us, as one string for
// `setVerifiedPrincipal`. Each identity is a fact: a kind tag then its fields, and an event's
// facts are encoded together as JSON. JSON over arrays of strings is injective (every JS string,
// lone surrogates included, has one escaped form), and the tag keeps kinds apart: an IAM ARN can
// never equal a JWT issuer + subject, nor a Lambda authorizer's principalId.
//
// Only fields that API Gateway or Lambda set after checking a credential are read, never a
// header a client could send, and never a decoded token. Fields that change per attempt (a
// SigV4 access key id, an authorizer's integrationLatency) are left out, or a retry would land
// in a new scope.

/** Where an API Gateway event keeps what AWS verified; each source reads its own fields. */
export interface ApiGatewayIdentity {
  cognitoIdentityPoolId: unknown;
  cognitoIdentityId: unknown;
  userArn: unknown;
  jwtClaims: unknown;
  authorizerPrincipalId: unknown;
}

/** The principal of an API Gateway (or Function URL) event: every identity AWS verified in it. */
export function apiGatewayPrincipal(identity: ApiGatewayIdentity): string | undefined {
  return encodePrincipal([
    cognitoIdentityFact(identity.cognitoIdentityPoolId, identity.cognitoIdentityId),
    iamFact(identity.userArn),
    jwtFact(identity.jwtClaims),
    authorizerFact(identity.authorizerPrincipalId),
  ]);
}

/** One verified identity: its kind, then its fields (`null` for a field AWS left out). */
export type IdentityFact = readonly [kind: string, ...fields: (string | null)[]];

/** The principal string for the facts found in an event, or `undefined` when there are none. */
export function encodePrincipal(facts: ReadonlyArray<IdentityFact | undefined>): string | undefined {
  const present = facts.filter((fact): fact is IdentityFact => fact !== undefined);
  return present.length === 0 ? undefined : JSON.stringify(present);
}

/** An IAM user or assumed-role session, as SigV4 authentication resolved it. */
function iamFact(userArn: unknown): IdentityFact | undefined {
  const arn = text(userArn);
  return arn === undefined ? undefined : ['iam', arn];
}

/**
 * A Cognito identity pool identity. Its IAM ARN is the pool role's shared session
 * (`.../CognitoIdentityCredentials`), the same for every user of the pool: only the identity id
 * tells them apart.
 */
function cognitoIdentityFact(poolId: unknown, identityId: unknown): IdentityFact | undefined {
  const id = text(identityId);
  return id === undefined ? undefined : ['cognito-identity', text(poolId) ?? null, id];
}

/** A JWT the authorizer verified (Cognito user pool, HTTP API JWT authorizer): `iss` + `sub`. */
function jwtFact(claims: unknown): IdentityFact | undefined {
  const subject = text(field(claims, 'sub'));
  return subject === undefined ? undefined : ['jwt', text(field(claims, 'iss')) ?? null, subject];
}

/** The `principalId` a Lambda authorizer returned. */
function authorizerFact(principalId: unknown): IdentityFact | undefined {
  const id = text(principalId);
  return id === undefined ? undefined : ['authorizer', id];
}

/** The user an ALB authenticate action signed in (`x-amzn-oidc-identity`). */
export function albOidcFact(identity: unknown): IdentityFact | undefined {
  const id = text(identity);
  return id === undefined ? undefined : ['alb-oidc', id];
}

/** `object[name]`, or `undefined` when `object` is not an object: event fields may be anything. */
export function field(object: unknown, name: string): unknown {
  return typeof object === 'object' && object !== null
    ? (object as Record<string, unknown>)[name]
    : undefined;
}

// An empty string identifies nobody (a JWT authorizer's empty principalId, for one).
function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
