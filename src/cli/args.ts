/** Command-line parsing for `policy-studio`: a verb, files, and a few flags. */
import { ICMP_TYPES } from '../language-server/icmp-types.js';

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
  trace FILES… --from W --to TARGET   explain what happens to one packet; TARGET is
                                      W:PORT/tcp, W:PORT/udp, W:icmp or W:icmp/TYPE, where W is a
                                      workload, a service or an IPv4 address outside the lab`;

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

export interface TraceTarget { workload: string; port?: number; protocol: 'tcp' | 'udp' | 'icmp'; icmpType?: number }

/** `backend:8080/tcp`, `backend:icmp`, `backend:icmp/echo-request`, `shop/backend:53/udp`, `api-svc:80/tcp`, `1.2.3.4:443/tcp`. */
export function parseTarget(text: string): TraceTarget {
  const icmp = /^(.+):icmp(?:\/([\w-]+))?$/.exec(text);
  if (icmp) {
    if (icmp[2] === undefined) return { workload: icmp[1]!, protocol: 'icmp' };
    const icmpType = /^\d+$/.test(icmp[2]) ? Number(icmp[2]) : ICMP_TYPES[icmp[2]];
    if (icmpType === undefined || icmpType > 255) throw new UsageError(`unknown ICMP type '${icmp[2]}' (known: ${Object.keys(ICMP_TYPES).join(', ')}, or 0-255)`);
    return { workload: icmp[1]!, protocol: 'icmp', icmpType };
  }
  const match = /^(.+):(\d+)\/(tcp|udp)$/.exec(text);
  if (!match) throw new UsageError(`--to must look like WORKLOAD:PORT/tcp, WORKLOAD:PORT/udp, WORKLOAD:icmp or WORKLOAD:icmp/TYPE, not '${text}'`);
  const port = Number(match[2]);
  if (port < 1 || port > 65535) throw new UsageError(`port ${port} is out of range`);
  return { workload: match[1]!, port, protocol: match[3] as 'tcp' | 'udp' };
}
