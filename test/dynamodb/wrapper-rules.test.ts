import { afterAll, beforeAll } from 'vitest';
import { describeWrapperRules } from '../conformance/wrapper-rules.ts';
import { createIdempotencyTable, type DynamoDBLocal, startDynamoDBLocal } from './dynamodb-local.ts';
import { TRANSPORTS, type TransportName, type TransportSide, transportSide } from './transports.ts';

let local: DynamoDBLocal;
let tableName: string;
const sides = {} as Record<TransportName, TransportSide>;

beforeAll(async () => {
  local = await startDynamoDBLocal();
  const client = local.client();
  tableName = await createIdempotencyTable(client);
  client.destroy();
  for (const name of TRANSPORTS) sides[name] = await transportSide(name, local);
});

afterAll(async () => {
  await Promise.all(Object.values(sides).map((side) => side.close()));
  await local?.stop();
});

for (const name of TRANSPORTS)
  describeWrapperRules(`dynamodb (${name})`, () => sides[name].store({ tableName }));
