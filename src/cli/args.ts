/** Command-line parsing for `policy-studio`: a verb, files, and a few flags. */

export interface CliArgs {
  verb: string;
  files: string[];
  live: boolean;
  from?: string;
  to?: string;
  lab: string;
}

export class UsageError extends Error {}

export const USAGE = `usage: policy-studio <command> FILES…

  test FILES… [--live] [--lab NAME]   run the files' expect lines (statically, or as real probes in a local lab)
  check FILES…                        print diagnostics; exit 1 on errors
  trace FILES… --from W --to W:PORT/PROTO | W:icmp
                                      explain what happens to one packet`;

export function parseArgs(argv: string[]): CliArgs {
  const [verb, ...rest] = argv;
  if (!verb || verb === '--help' || verb === '-h') throw new UsageError(USAGE);
  const args: CliArgs = { verb, files: [], live: false, lab: 'cli' };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--live') args.live = true;
    else if (arg === '--from') args.from = value();
    else if (arg === '--to') args.to = value();
    else if (arg === '--lab') args.lab = value();
    else if (arg.startsWith('--')) throw new UsageError(`unknown option ${arg}\n\n${USAGE}`);
    else args.files.push(arg);
  }
  if (!['test', 'check', 'trace'].includes(verb)) throw new UsageError(`unknown command '${verb}'\n\n${USAGE}`);
  if (args.files.length === 0) throw new UsageError(`${verb} needs at least one .policy file\n\n${USAGE}`);
  if (!/^[a-z][a-z0-9]{0,7}$/.test(args.lab)) throw new UsageError('--lab must be 1-8 lowercase letters or digits, starting with a letter');
  if (verb === 'trace' && (!args.from || !args.to)) throw new UsageError(`trace needs --from and --to\n\n${USAGE}`);
  return args;
}

export interface TraceTarget { workload: string; port?: number; protocol: 'tcp' | 'udp' | 'icmp' }

/** `backend:8080/tcp`, `backend:icmp`, `shop/backend:53/udp`. */
export function parseTarget(text: string): TraceTarget {
  const icmp = /^(.+):icmp$/.exec(text);
  if (icmp) return { workload: icmp[1]!, protocol: 'icmp' };
  const match = /^(.+):(\d+)\/(tcp|udp)$/.exec(text);
  if (!match) throw new UsageError(`--to must look like WORKLOAD:PORT/tcp, WORKLOAD:PORT/udp or WORKLOAD:icmp, not '${text}'`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new UsageError(`port ${port} is out of range`);
  return { workload: match[1]!, port, protocol: match[3] as 'tcp' | 'udp' };
}
