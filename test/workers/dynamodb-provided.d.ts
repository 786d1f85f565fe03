// What test/dynamodb/workers-global-setup.ts provides to the workerd tests (DynamoDB Local).
declare module 'vitest' {
  export interface ProvidedContext {
    dynamodb: { endpoint: string; tableName: string; closedEndpoint: string };
  }
}

export {};
