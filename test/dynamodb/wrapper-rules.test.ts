import { describeWrapperRules } from '../conformance/wrapper-rules.ts';
import { dynamoDBSidesForFile } from './dynamodb-table.ts';
import { TRANSPORTS } from './transports.ts';

const dynamodb = dynamoDBSidesForFile();

for (const name of TRANSPORTS)
  describeWrapperRules(`dynamodb (${name})`, () =>
    dynamodb.sides[name].store({ tableName: dynamodb.tableName }),
  );
