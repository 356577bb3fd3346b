// TEMPORARY minimal validation; replaced by the full module from the `config` branch.
import { ConfigError, HakoError } from '../../util/errors.js';
import type { Spec } from './types.js';

export function parseConfigFile(text: string, file: string): Spec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new HakoError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  return validateSpec(raw);
}

export function validateSpec(raw: unknown): Spec {
  const spec = raw as Spec;
  if (!spec || typeof spec !== 'object') throw new ConfigError('(root)', 'must be an object');
  if (!spec.process?.args?.length) throw new ConfigError('process.args', 'must be a non-empty array of strings');
  if (!spec.root?.path) throw new ConfigError('root.path', 'missing');
  return spec;
}
