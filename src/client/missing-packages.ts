/**
 * From hello's `capabilities.missing` to Debian/Ubuntu packages: the agent
 * names the fix in each entry ("clang (apt-get install clang llvm)"), so the
 * extension can offer one apt-get line, and say what is left that no package
 * fixes (an old kernel, no BTF).
 */
export interface MissingSummary { packages: string[]; notPackages: string[] }

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

export function packagesFor(missing: readonly string[]): MissingSummary {
  const packages = new Set<string>();
  const notPackages: string[] = [];
  for (const entry of missing) {
    const m = /apt-get install ([^)]+)\)/.exec(entry);
    const names = m ? m[1]!.split(/\s+/).filter((n) => PACKAGE_NAME.test(n)) : [];
    if (names.length) names.forEach((n) => packages.add(n));
    else notPackages.push(entry);
  }
  return { packages: [...packages], notPackages };
}

/** The apt-get command lines (argv) to install `packages` non-interactively, with sudo when not root. */
export function aptInstallCommands(packages: readonly string[], asRoot: boolean): string[][] {
  for (const p of packages) if (!PACKAGE_NAME.test(p)) throw new Error(`not a Debian package name: ${JSON.stringify(p)}`);
  const sudo = asRoot ? [] : ['sudo', '-n'];
  return [
    [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'update', '-q'],
    [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages],
  ];
}

export interface CommandOutput { code: number | null; stdout: string; stderr: string }
export interface AptInstallOutcome { ok: boolean; output: string; /** Every argv that was run, in order. */ commands: string[][] }

/**
 * Runs the install through `run` (an argv runner: ssh exec, docker exec, ...).
 * The install is tried first: when the package lists are fresh (or the
 * packages are there already) that needs no network and leaves the lists
 * alone. Only when it fails are the lists refreshed and the install retried once.
 */
export async function runAptInstall(
  packages: readonly string[], asRoot: boolean, run: (argv: string[]) => Promise<CommandOutput>, log: (line: string) => void,
): Promise<AptInstallOutcome> {
  const [update, install] = aptInstallCommands(packages, asRoot) as [string[], string[]];
  const commands: string[][] = [];
  let output = '';
  const step = async (argv: string[]): Promise<boolean> => {
    log(`$ ${argv.join(' ')}`);
    commands.push(argv);
    const res = await run(argv);
    output += res.stdout + res.stderr;
    return res.code === 0;
  };
  const ok = (await step(install)) || ((await step(update)) && (await step(install)));
  return { ok, output, commands };
}
