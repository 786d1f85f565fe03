import type { Env as DemoEnv } from '../../examples/worker/index.ts';

// `env` and `exports` from 'cloudflare:workers' in these tests are the demo Worker's.
declare global {
  namespace Cloudflare {
    interface Env extends DemoEnv {}
    interface GlobalProps {
      mainModule: typeof import('../../examples/worker/index.ts');
      durableNamespaces: 'IdempotencyObject';
    }
  }
}
