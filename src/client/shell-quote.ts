/**
 * The one audited place where a remote command line is built. ssh's exec
 * request carries a single string that the remote login shell parses, so every
 * argument (paths, lab names, user-chosen directories) goes through
 * `quoteShellArg`: POSIX single quotes, with each embedded quote closed,
 * escaped and reopened. Nothing else in the project concatenates shell text.
 */

/** One argument, safe for any POSIX shell: `it's` → `'it'\''s'`. */
export function quoteShellArg(arg: string): string {
  if (arg.includes('\0')) throw new Error('a shell argument cannot contain a NUL byte');
  if (/^[A-Za-z0-9_\-./=:@%+,]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one command line for the remote shell. */
export function shellCommand(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quoteShellArg).join(' ');
}
