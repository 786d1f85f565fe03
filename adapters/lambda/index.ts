export { type LambdaHttpHandler, MALFORMED_EVENT_PROBLEM_TYPE, toLambdaHandler } from './processor.ts';
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
