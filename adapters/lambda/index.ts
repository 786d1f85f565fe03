export { type LambdaHttpHandler, MALFORMED_EVENT_PROBLEM_TYPE, toLambdaHandler } from './processor.ts';
export { MalformedSqsEventError, type SqsHandler, type SqsHandlerOptions, toSqsHandler } from './sqs.ts';
export type { SqsBatchResponse, SqsEvent, SqsRecord } from './sqs-types.ts';
export type { LambdaResultLike } from './stored-result.ts';
export type {
  AlbEvent,
  AlbResult,
  ApiGatewayV1Event,
  ApiGatewayV1Result,
  ApiGatewayV2Event,
  ApiGatewayV2Result,
  LambdaContextLike,
  LambdaFetchHandler,
  LambdaHandlerOptions,
  LambdaHttpEvent,
  LambdaHttpResult,
} from './types.ts';
export {
  type IdempotentLambdaHandler,
  type LambdaIdempotencyOptions,
  type RenderedProblem,
  withLambdaIdempotency,
} from './with-lambda-idempotency.ts';
