// Reading a line from the user's terminal, with echo off for passwords (`hako login`'s prompt).
import { HakoError } from '../../util/errors.js';

/** Asks `question` on stdout and reads one line from the terminal on stdin; `hidden` turns the
 *  terminal's echo off (raw mode: this reads the characters and handles backspace and Ctrl-C). */
export function promptLine(question: string, hidden: boolean): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) throw new HakoError('cannot perform an interactive login from a non TTY device');
  // Echo off before the question shows: what is typed right after it must not be echoed.
  if (hidden) stdin.setRawMode(true);
  process.stdout.write(question);
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      if (hidden) {
        stdin.setRawMode(false);
        process.stdout.write('\n');
      }
      stdin.pause();
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (data: Buffer) => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(new HakoError('login: interrupted', 130));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** All of stdin, for `--password-stdin`: the trailing newline is not part of the password. */
export async function readStdin(): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return Buffer.concat(parts)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** One line of stdin (terminal or pipe), without its newline; '' at end of file. */
export function readLine(): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    let line = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.off('end', finish);
      stdin.pause();
      resolve(line);
    };
    const onData = (data: Buffer) => {
      const s = data.toString('utf8');
      const nl = s.indexOf('\n');
      line += nl < 0 ? s : s.slice(0, nl);
      if (nl >= 0) finish();
    };
    stdin.on('data', onData);
    stdin.on('end', finish);
    stdin.resume();
  });
}
