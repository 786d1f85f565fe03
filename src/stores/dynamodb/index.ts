export { type AttributeNames, DEFAULT_ATTRIBUTE_NAMES } from './attributes.ts';
export type { AwsCredentials, AwsCredentialsOption } from './credentials.ts';
export { DYNAMODB_ACTIONS } from './iam-actions.ts';
export { MAX_RESPONSE_ATTRIBUTE_BYTES } from './response-attribute.ts';
export { type DynamoDBClientLike, DynamoDBStore, type DynamoDBStoreOptions } from './store.ts';
