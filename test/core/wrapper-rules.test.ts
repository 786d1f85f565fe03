import { MemoryStore } from '../../src/index.ts';
import { describeWrapperRules } from '../conformance/wrapper-rules.ts';

describeWrapperRules('memory', () => new MemoryStore());
