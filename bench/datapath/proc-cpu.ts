/**
 * CPU time of a process from /proc/PID/stat (utime + stime, user and
 * kernel), so the event pipeline can report what each event cost the agent
 * and its loader. Sampled before and after a run; the difference over the
 * events delivered is CPU per event, whatever else the machine is doing.
 */
import fs from 'node:fs';

const TICKS_PER_SEC = 100; // USER_HZ: 100 on every Linux architecture Node runs on

/** CPU seconds a process has used (0 when it is gone). */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try { stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8'); } catch { return 0; }
  // The command name (field 2) may contain spaces: fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SEC;
}

/** Child processes of `pid` whose command name contains `nameFragment` (e.g. the agent's ps-loader). */
export function childrenNamed(pid: number, nameFragment: string): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try { stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8'); } catch { continue; }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === pid && comm.includes(nameFragment)) out.push(Number(entry));
  }
  return out;
}
