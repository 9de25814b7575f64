/**
 * A generated workspace the size the issue asks for: 500 workloads and 500
 * policies over 50 files, padded with expects to exactly 10,000 lines. Each
 * policy selects one workload, allows from a few others on ports and ranges,
 * ICMP echo from the host,
 * denies one, and has an egress allow-list with a CIDR except.
 */
export interface GeneratedFile { name: string; text: string }

export const WORKLOADS = 500;
export const POLICIES = 500;
export const FILES = 50;
export const LINES = 10_000;

export function generateWorkspace(): GeneratedFile[] {
  const perFile = WORKLOADS / FILES;
  const files: string[][] = [];
  for (let f = 0; f < FILES; f++) {
    const lines: string[] = [`// generated file ${f}`];
    for (let i = f * perFile; i < (f + 1) * perFile; i++) {
      lines.push(`workload w${i} { labels { app: "app-${i}", tier: "tier-${i % 7}", team: "team-${i % 13}" } }`);
    }
    for (let i = f * perFile; i < (f + 1) * perFile; i++) {
      const peer = (k: number): number => (i + k * 37) % WORKLOADS;
      lines.push(
        `policy p${i} {`,
        `  select app == "app-${i}"`,
        '  ingress {',
        `    allow from app == "app-${(i + WORKLOADS - 185) % WORKLOADS}" to port 8080/tcp`,
        `    allow from app in ("app-${peer(2)}", "app-${peer(3)}") to port 9000-9100/tcp`,
        `    allow from tier == "tier-${i % 7}" and team exists to port 5432/tcp`,
        '    allow from entity host to icmp type echo-request',
        `    deny from team == "team-${(i + 1) % 13}" to port 22/tcp`,
        '  }',
        '  egress {',
        `    allow to app == "app-${peer(4)}" port 53/udp, 53/tcp`,
        `    allow to app == "app-${(i + 185) % WORKLOADS}" port 8080/tcp`,
        '    allow to cidr 0.0.0.0/0 except 10.0.0.0/8 port 443/tcp',
        '  }',
        '}',
      );
    }
    files.push(lines);
  }
  // Pad with expects (each is evaluated statically by the validator) to the exact line count.
  let total = files.reduce((n, l) => n + l.length, 0);
  for (let k = 0; total < LINES; k++, total++) {
    // w(s) may reach w(s+185) on 8080: its egress allows it and the target's ingress allows from s.
    const from = (k * 7) % WORKLOADS;
    const to = (from + 185) % WORKLOADS;
    files[k % FILES]!.push(`expect w${from} -> w${to}:8080/tcp allowed`);
  }
  return files.map((lines, f) => ({ name: `gen${String(f).padStart(2, '0')}.policy`, text: lines.join('\n') + '\n' }));
}
