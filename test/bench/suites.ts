// Every benchmark suite `npm run bench` knows, one line each.
import { agentSuite } from './agent.ts';
import { endpointsApplySuite } from './endpoints-apply.ts';
import { labSuite } from './lab.ts';
import { monitorPollSuite } from './monitor-poll.ts';
import { renderSuite } from './render.ts';
import { startupSuite } from './startup.ts';
import type { BenchSuite } from './suite.ts';

export const SUITES: readonly BenchSuite[] = [
  renderSuite,
  monitorPollSuite,
  endpointsApplySuite,
  agentSuite,
  labSuite,
  startupSuite,
];
