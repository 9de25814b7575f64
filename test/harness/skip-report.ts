/**
 * scripts/test.sh's skip accounting (the logic is in skipped-tests.ts):
 *
 *   skip-report.ts from-tap <layer.tap> <layer.skips>
 *       writes the skipped and todo tests of a TAP file; prints their number
 *   skip-report.ts check <allow-list> <layer>=<layer.skips>...
 *       lists every skipped test by name and reason on stderr, saying whether
 *       the allow-list covers it; prints `<layer> <skipped> <not allowed>` a
 *       line on stdout
 */
import fs from 'node:fs';
import { allowedBy, formatSkips, FOLLOW_ON_SKIP_REASON, parseAllowList, parseSkips, skippedInTap } from './skipped-tests';

function main(argv: string[]): number {
  const [command, ...args] = argv;
  if (command === 'from-tap' && args.length === 2) {
    const tap = fs.existsSync(args[0]!) ? fs.readFileSync(args[0]!, 'utf8') : '';
    const skips = skippedInTap(tap);
    fs.writeFileSync(args[1]!, formatSkips(skips));
    console.log(skips.length);
    return 0;
  }
  if (command === 'check' && args.length >= 1) {
    const allowList = parseAllowList(fs.readFileSync(args[0]!, 'utf8'));
    for (const arg of args.slice(1)) {
      const eq = arg.indexOf('=');
      const layer = arg.slice(0, eq);
      const file = arg.slice(eq + 1);
      const skips = fs.existsSync(file) ? parseSkips(fs.readFileSync(file, 'utf8')) : [];
      let notAllowed = 0;
      for (const skip of skips) {
        const entry = allowedBy(skip, allowList);
        // An e2e step skipped after a failed one is that failure's consequence, already counted as failed.
        const followsFailure = skip.reason?.startsWith(FOLLOW_ON_SKIP_REASON) ?? false;
        if (!entry && !followsFailure) notAllowed++;
        const why = skip.reason ? `: ${skip.reason}` : '';
        const verdict = entry ? `allow-listed: ${entry.reason}` : followsFailure ? 'follows a failed step' : 'NOT in the allow-list';
        console.error(`${layer.padEnd(12)} ${skip.kind.toUpperCase()} ${skip.name}${why}  [${verdict}]`);
      }
      console.log(`${layer} ${skips.length} ${notAllowed}`);
    }
    return 0;
  }
  console.error('usage: skip-report.ts from-tap <tap> <skips> | check <allow-list> <layer>=<skips>...');
  return 2;
}

process.exitCode = main(process.argv.slice(2));
