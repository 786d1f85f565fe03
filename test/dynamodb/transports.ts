/**
 * The two ways `DynamoDBStore` reaches DynamoDB, side by side, so one test runs on both: `sdk`
 * (a `DynamoDBClient` passed as `client`) and `lean` (no client: signed JSON over HTTP). Each
 * side counts its round trips: SDK middleware for `sdk`, a pass-through proxy for `lean`.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStore, type DynamoDBStoreOptions } from '../../src/stores/dynamodb/index.ts';
import { type FaultProxy, startFaultProxy } from '../hardening/fault-proxy.ts';
import { countCalls } from './count-calls.ts';
import { type DynamoDBLocal, LOCAL_CREDENTIALS } from './dynamodb-local.ts';

export type TransportName = 'sdk' | 'lean';
export const TRANSPORTS: readonly TransportName[] = ['sdk', 'lean'];

/** The store options that do not pick a transport. */
export type StoreOptions = Omit<
  DynamoDBStoreOptions,
  'client' | 'region' | 'endpoint' | 'credentials' | 'timeoutMs' | 'maxAttempts'
>;

export interface TransportSide {
  name: TransportName;
  /** A store on this transport. */
  store(options: StoreOptions): DynamoDBStore;
  /** The `sdk` side's (counted) client. */
  client?: DynamoDBClient;
  /** Requests sent to DynamoDB so far, retries included. */
  roundTrips(): number;
  close(): Promise<void>;
}

/**
 * Lean store options for DynamoDB Local at `endpoint`. A generous budget: DynamoDB Local on a
 * busy machine can take seconds for a burst of 200 writes (tests of the budget set their own).
 */
export const leanOptions = (endpoint: string) =>
  ({ endpoint, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, timeoutMs: 30_000 }) as const;

export async function transportSide(name: TransportName, local: DynamoDBLocal): Promise<TransportSide> {
  if (name === 'sdk') {
    const client: DynamoDBClient = local.client();
    const counter = countCalls(client);
    return {
      name,
      client,
      store: (options) => new DynamoDBStore({ ...options, client }),
      roundTrips: () => counter.total,
      close: async () => client.destroy(),
    };
  }
  const proxy: FaultProxy = await startFaultProxy(local.endpoint);
  return {
    name,
    store: (options) => new DynamoDBStore({ ...options, ...leanOptions(proxy.url) }),
    roundTrips: () => proxy.requests,
    close: () => proxy.close(),
  };
}
