// Every birdctl command, in the order `birdctl --help` lists them.
import type { Command } from './command.ts';
import { renderCommand } from './render.ts';
import { statusCommand } from './status.ts';
import { validateCommand } from './validate.ts';

export const COMMANDS: readonly Command[] = [validateCommand, renderCommand, statusCommand];
