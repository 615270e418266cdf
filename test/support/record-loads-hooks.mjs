// The module hooks of record-loads.mjs (they run on Node's loader thread). Recording at resolve
// sees every module, also those that a hook registered later (tsx) loads itself.
import { appendFileSync } from 'node:fs';

let file;

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  // Synchronous, so every URL is on disk before the process can exit.
  appendFileSync(file, `${result.url}\n`);
  return result;
}
