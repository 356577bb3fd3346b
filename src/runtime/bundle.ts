// Reading a bundle: config.json, validated, and the rootfs it names.
import fs from 'node:fs';
import path from 'node:path';
import { asHakoError, ConfigError, HakoError } from '../util/errors.js';
import { parseConfigFile } from '../oci/validate.js';
import type { Spec } from '../oci/types.js';

export interface Bundle {
  dir: string;
  spec: Spec;
  rootfs: string;
}

export function loadBundle(dir: string): Bundle {
  const abs = path.resolve(dir);
  const file = path.join(abs, 'config.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new HakoError(`${file}: no such file (is --bundle right?)`);
    throw asHakoError(file, e);
  }
  const spec = parseConfigFile(text, 'config.json');
  if (!spec.process) throw new ConfigError('process', 'missing (hako runs a process)');
  const rootfs = path.resolve(abs, spec.root!.path);
  let st: fs.Stats;
  try {
    st = fs.statSync(rootfs);
  } catch {
    throw new ConfigError('root.path', `"${rootfs}" does not exist`);
  }
  if (!st.isDirectory()) throw new ConfigError('root.path', `"${rootfs}" is not a directory`);
  return { dir: abs, spec, rootfs: fs.realpathSync(rootfs) };
}
