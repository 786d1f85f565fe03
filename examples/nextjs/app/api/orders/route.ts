import { withIdempotency } from 'edge-idempotency/next';
import { createOrder } from '../../../lib/orders';
import { store } from '../../../lib/store';

export const runtime = 'nodejs';

export const POST = withIdempotency(createOrder, { store });
