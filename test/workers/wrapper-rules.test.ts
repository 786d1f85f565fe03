import { env } from 'cloudflare:workers';
import { DurableObjectStore } from '../../src/stores/cloudflare/index.ts';
import { describeWrapperRules } from '../conformance/wrapper-rules.ts';

describeWrapperRules('durable-object', () => new DurableObjectStore({ namespace: env.IDEMPOTENCY }));
