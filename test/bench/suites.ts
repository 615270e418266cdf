// Every benchmark suite `npm run bench` knows, one line each.
import { monitorPollSuite } from './monitor-poll.ts';
import type { BenchSuite } from './suite.ts';

export const SUITES: readonly BenchSuite[] = [monitorPollSuite];
