// What the prune commands share: docker's confirmation question (skipped with -f) and its report.
import { humanSize } from '../../engine/format.js';
import type { Flags } from '../command.js';
import { readLine } from './prompt.js';

export const PRUNE_FLAGS: Flags = {
  force: { type: 'boolean', short: 'f', help: 'do not ask for confirmation' },
  filter: { type: 'string', multiple: true, value: 'FILTER', help: 'until=DURATION|TIMESTAMP, label=KEY[=VALUE], label!=KEY[=VALUE]' },
};

/** docker's `WARNING! …  Are you sure you want to continue? [y/N]`, read from stdin (a terminal or
 *  not); true only for y/yes. With `force` nothing is asked. */
export async function confirm(warning: string, force: boolean): Promise<boolean> {
  if (force) return true;
  process.stdout.write(`WARNING! ${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = (await readLine()).trim().toLowerCase();
  if (!process.stdin.isTTY) process.stdout.write('\n');
  return answer === 'y' || answer === 'yes';
}

/** `Deleted Containers:` and one line each, then a blank line; nothing when nothing went. */
export function deletedSection(title: string, lines: string[]): string {
  return lines.length ? `Deleted ${title}:\n${lines.map((l) => `${l}\n`).join('')}\n` : '';
}

export function reclaimed(bytes: number): string {
  return `Total reclaimed space: ${humanSize(bytes)}\n`;
}
