// runc-style logging: errors always go to stderr; with --log they are also appended to a file, as
// text or (--log-format json) as {"level","msg","time"} lines, which is what containerd and podman
// read back to show the user why a runtime command failed.
import fs from 'node:fs';
import { writeErr } from './stdio.js';

interface LogConfig {
  file?: string;
  format: 'text' | 'json';
  debug: boolean;
}
const config: LogConfig = { format: 'text', debug: false };

export function configureLog(c: Partial<LogConfig>): void {
  Object.assign(config, c);
}

function write(level: 'error' | 'warning' | 'debug', msg: string): void {
  if (!config.file) return;
  const time = new Date().toISOString();
  const line = config.format === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    fs.appendFileSync(config.file, `${line}\n`);
  } catch {
    /* logging must never turn success into failure */
  }
}

export function logError(msg: string): void {
  writeErr(`hako: ${msg}\n`);
  write('error', msg);
}

/** --debug: what the runtime does, phase by phase, as runc logs it: into --log FILE where engines
 *  pass one (podman, containerd), else on stderr. */
export function logDebug(msg: string): void {
  if (!config.debug) return;
  if (config.file) write('debug', msg);
  else writeErr(`hako: debug: ${msg}\n`);
}

/** Whether the runtime's --debug is on (the CLI then also prints the stack of a failure). */
export function debugEnabled(): boolean {
  return config.debug;
}
