// Every birdctl command, in the order `birdctl --help` lists them.
import type { Command } from './command.ts';
import { renderCommand } from './render.ts';
import { validateCommand } from './validate.ts';
import { endpointsCommand } from './endpoints.ts';

export const COMMANDS: readonly Command[] = [validateCommand, renderCommand, endpointsCommand];
