// Every birdctl command, in the order `birdctl --help` lists them.
import type { Command } from './command.ts';
import { agentCommand } from './agent.ts';
import { composeCommand } from './compose.ts';
import { endpointsCommand } from './endpoints.ts';
import { labCommand } from './lab.ts';
import { planCommand } from './plan.ts';
import { renderCommand } from './render.ts';
import { routesCommand } from './routes.ts';
import { statusCommand } from './status.ts';
import { validateCommand } from './validate.ts';

export const COMMANDS: readonly Command[] = [
  validateCommand,
  renderCommand,
  statusCommand,
  routesCommand,
  planCommand,
  endpointsCommand,
  agentCommand,
  composeCommand,
  labCommand,
];
