export {
  DurableObjectStore,
  type DurableObjectStoreOptions,
  type IdempotencyObjectNamespace,
  type IdempotencyObjectStub,
} from './durable-object-store.ts';
export { IdempotencyObject } from './idempotency-object.ts';
