// Where a command's own flags end: both command lines read `[flags…] ARG [ARGS…]` so, and a
// container's command after it (`hako run IMAGE sh -c …`) is never read as hako's flags.

/** Splits `args` at the first word that is neither a flag nor a flag's value. `takesValue` holds the
 *  spellings (`--name`, `-e`) of the flags that take the next word as their value. */
export function splitAtFirstArgument(args: string[], takesValue: ReadonlySet<string>): { flags: string[]; rest: string[] } {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return { flags: args.slice(0, i), rest: args.slice(i + 1) };
    if (!a.startsWith('-') || a === '-') break;
    if (a.includes('=')) continue;
    if (takesValue.has(a)) {
      i++;
      continue;
    }
    // A short group like -it or -itp: its last letter may take the next word as its value.
    if (/^-[a-zA-Z]{2,}$/.test(a) && takesValue.has(`-${a[a.length - 1]}`)) i++;
  }
  return { flags: args.slice(0, i), rest: args.slice(i) };
}
