// The nunjucks environment for configuration files. Autoescape is off (it escapes HTML, which
// would corrupt a config), undefined variables throw, and every value that is printed inside the
// config goes through a filter that refuses anything able to change the file's structure
// (value-filters.ts). bgp_protocols writes the sessions' blocks (bgp-protocols.ts).
import nunjucks from 'nunjucks';
import { installPath } from '../install-dir.ts';
import { bgpProtocols } from './bgp-protocols.ts';
import { integer, ipv4, ipv6, ipv6Prefix, quoted, symbol } from './value-filters.ts';

export const TEMPLATE_DIR = installPath('bird-templates');

export function createEnvironment(templateDir = TEMPLATE_DIR): nunjucks.Environment {
  const env = new nunjucks.Environment(new nunjucks.FileSystemLoader(templateDir, { noCache: false }), {
    autoescape: false,
    throwOnUndefined: true,
    trimBlocks: true,
    lstripBlocks: true,
  });
  env.addFilter('quoted', quoted);
  env.addFilter('symbol', symbol);
  env.addFilter('ipv6', ipv6);
  env.addFilter('ipv6prefix', ipv6Prefix);
  env.addFilter('ipv4', ipv4);
  env.addFilter('int', integer);
  env.addFilter('bgp_protocols', bgpProtocols);
  return env;
}
