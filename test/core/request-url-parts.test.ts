import { describeRequestUrlParts } from '../conformance/request-url-parts.ts';

describeRequestUrlParts('Node');
