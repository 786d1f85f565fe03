import { fileURLToPath } from 'node:url';
import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Tests import the TypeScript sources; `#sha256` resolves to dist/ in a published package, so
// point it at the source file of the runtime under test.
const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const nodeSources = {
  alias: {
    '#sha256': source('./src/sha256.node.ts'),
    '#dynamodb-runtime': source('./src/stores/dynamodb/runtime.node.ts'),
  },
};

export default defineConfig({
  test: {
    projects: [
      {
        // The core on its own: also run under the machine's Node 20 by `npm test`.
        resolve: nodeSources,
        test: { name: 'core', include: ['test/core/**/*.test.ts'], testTimeout: 20_000 },
      },
      {
        // Stores and adapters against their real backends, on the Node 22 of `node@22`.
        resolve: nodeSources,
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/core/**', 'test/workers/**'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // The Durable Object store and the demo Worker inside workerd, as wrangler.toml declares them.
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.toml' } })],
        resolve: {
          alias: {
            '#sha256': source('./src/sha256.ts'),
            '#dynamodb-runtime': source('./src/stores/dynamodb/runtime.ts'),
          },
        },
        test: {
          name: 'workers',
          include: ['test/workers/**/*.test.ts'],
          exclude: ['test/workers/queue-broker/**'],
          // DynamoDB Local for the lean DynamoDB store's tests in workerd (a JVM: started in Node).
          globalSetup: ['test/dynamodb/workers-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // A queue consumer behind miniflare's real queue broker, in its own test Worker.
        plugins: [cloudflareTest({ wrangler: { configPath: './test/workers/queue-broker/wrangler.toml' } })],
        resolve: {
          alias: {
            '#sha256': source('./src/sha256.ts'),
            '#dynamodb-runtime': source('./src/stores/dynamodb/runtime.ts'),
          },
        },
        test: {
          name: 'workers-queues',
          include: ['test/workers/queue-broker/**/*.test.ts'],
          testTimeout: 60_000,
        },
      },
    ],
  },
});
