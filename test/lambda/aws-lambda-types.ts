// Compile-time checks, run by `npm run typecheck`: the adapter's own event and result types stay
// interchangeable with @types/aws-lambda, so users may type their code with either.
import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
  LambdaFunctionURLEvent,
} from 'aws-lambda';
import {
  type AlbEvent,
  type AlbResult,
  type ApiGatewayV1Event,
  type ApiGatewayV1Result,
  type ApiGatewayV2Event,
  type ApiGatewayV2Result,
  type LambdaHttpEvent,
  toLambdaHandler,
} from '../../adapters/lambda/index.ts';

export function eventsFromAwsTypesAreAccepted(
  rest: APIGatewayProxyEvent,
  http: APIGatewayProxyEventV2,
  url: LambdaFunctionURLEvent,
  alb: ALBEvent,
): LambdaHttpEvent[] {
  const v1: ApiGatewayV1Event = rest;
  const v2: ApiGatewayV2Event = http;
  const functionUrl: ApiGatewayV2Event = url;
  const target: AlbEvent = alb;
  return [v1, v2, functionUrl, target];
}

export function resultsSatisfyAwsTypes(
  v1: ApiGatewayV1Result,
  v2: ApiGatewayV2Result,
  alb: AlbResult,
): [APIGatewayProxyResult, APIGatewayProxyStructuredResultV2, ALBResult] {
  return [v1, v2, alb];
}

export const handlerTypedWithAwsContext = toLambdaHandler(
  async (_request: Request, context: Context) => new Response(context.awsRequestId),
);

export function handlerTakesAwsEventsAndContext(event: APIGatewayProxyEventV2, context: Context) {
  return handlerTypedWithAwsContext(event, context);
}

// tsconfig.json does not include examples/lambda; this import puts the demo under typecheck.
export type DemoHandler = typeof import('../../examples/lambda/handler.ts').handler;
