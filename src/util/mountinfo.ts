// The mount points of this process's mount namespace, as /proc/self/mountinfo lists them (field 5,
// with the kernel's octal escapes of space, tab, newline and backslash undone).
import { readFileSync } from 'node:fs';

export function mountPoints(): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => unescapeOctal(l.split(' ')[4] ?? ''));
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}
