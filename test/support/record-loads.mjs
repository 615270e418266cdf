// `node --import ./test/support/record-loads.mjs ENTRY ...` appends the URL of every module the
// process resolves, one a line, to the file named by RECORD_LOADS_FILE. Tests use it to prove that
// a command loads only the packages it uses (test/cli/command-loading.test.ts).
import { register } from 'node:module';

const file = process.env.RECORD_LOADS_FILE;
if (file === undefined) throw new Error('record-loads.mjs: set RECORD_LOADS_FILE to the file that receives the module URLs');
register('./record-loads-hooks.mjs', import.meta.url, { data: { file } });
