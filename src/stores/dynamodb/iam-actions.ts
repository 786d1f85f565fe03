/**
 * Every DynamoDB API the store calls, as IAM actions: the least-privilege policy for its table.
 * `template.yaml` and docs/dynamodb.md list exactly these; a test compares them.
 */
export const DYNAMODB_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
] as const;
