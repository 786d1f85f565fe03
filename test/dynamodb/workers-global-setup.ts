/**
 * globalSetup of the `workers` vitest project: workerd cannot start a JVM, so DynamoDB Local is
 * started here, in Node, with a table, and the tests inside workerd get its endpoint through
 * `inject('dynamodb')`.
 */
import type { TestProject } from 'vitest/node';
import { freePort } from '../helpers/free-port.ts';
import { createIdempotencyTable, startDynamoDBLocal } from './dynamodb-local.ts';

/** What the workerd tests receive. */
export interface ProvidedDynamoDB {
  endpoint: string;
  tableName: string;
  /** A loopback port nothing listens on. */
  closedEndpoint: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamodb: ProvidedDynamoDB;
  }
}

export default async function setup(project: TestProject) {
  const local = await startDynamoDBLocal();
  const client = local.client();
  try {
    const tableName = await createIdempotencyTable(client);
    project.provide('dynamodb', {
      endpoint: local.endpoint,
      tableName,
      closedEndpoint: `http://127.0.0.1:${await freePort()}`,
    });
  } catch (error) {
    await local.stop();
    throw error;
  } finally {
    client.destroy();
  }
  return () => local.stop();
}
