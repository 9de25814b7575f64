/**
 * What a remote target needs to run the agent: dist/agent.js and the bpf/
 * sources it compiles on the target. Its `version` is a hash of the content,
 * so an upload is skipped when the target already holds the same bundle, and
 * any change (a newer extension, an edited datapath) lands in a new directory.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface AgentBundleFile {
  /** Path inside the bundle, with forward slashes: `agent.js`, `bpf/lib/policy.h`. */
  relPath: string;
  absPath: string;
  size: number;
}

export interface AgentBundle {
  /** First 16 hex digits of the SHA-256 over every file's path and content. */
  version: string;
  files: AgentBundleFile[];
  /** Directories to create before the files, parents first. */
  dirs: string[];
}

/** The agent and a datapath directory (policyStudio.datapathPath, or the extension's own bpf/; build outputs excluded). */
export function collectAgentBundle(agentPath: string, bpfDir: string): AgentBundle {
  if (!fs.existsSync(agentPath)) throw new Error(`agent bundle not found at ${agentPath} (run npm run build)`);
  if (!fs.existsSync(bpfDir)) throw new Error(`bpf sources not found at ${bpfDir}`);
  const files: AgentBundleFile[] = [{ relPath: 'agent.js', absPath: agentPath, size: fs.statSync(agentPath).size }];
  const dirs = ['bpf'];
  const walk = (dir: string, rel: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(dir, entry.name);
      const r = `${rel}/${entry.name}`;
      if (entry.isDirectory()) {
        dirs.push(r);
        walk(abs, r);
      } else if (entry.isFile() && /\.(c|h|md)$/.test(entry.name)) {
        files.push({ relPath: r, absPath: abs, size: fs.statSync(abs).size });
      }
    }
  };
  walk(bpfDir, 'bpf');
  const hash = createHash('sha256');
  for (const f of files) {
    hash.update(f.relPath).update('\0').update(fs.readFileSync(f.absPath)).update('\0');
  }
  return { version: hash.digest('hex').slice(0, 16), files, dirs };
}
