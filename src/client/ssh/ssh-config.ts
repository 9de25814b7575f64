/**
 * The subset of ssh_config(5) a target needs: which host, port, user and
 * identity files an alias stands for, and where its known hosts live. Lima
 * writes one of these per instance; users keep theirs in ~/.ssh/config.
 * First obtained value wins, as in OpenSSH; `Host` patterns support `*`, `?`
 * and `!negation`. `Match` blocks are skipped (their conditions need a shell).
 */
import os from 'node:os';
import path from 'node:path';

export interface SshHostConfig {
  alias: string;
  hostName: string;
  port: number;
  user?: string;
  identityFiles: string[];
  userKnownHostsFiles: string[];
  /** `no` (Lima's generated configs) accepts any key for this host; `yes`/`ask` check known_hosts. */
  strictHostKeyChecking: 'yes' | 'no' | 'ask' | 'accept-new';
}

interface Block { patterns: string[] | 'match'; options: [string, string][] }

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function parseBlocks(text: string): Block[] {
  const blocks: Block[] = [{ patterns: ['*'], options: [] }];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\S+?)(?:\s*=\s*|\s+)(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1]!.toLowerCase();
    const value = m[2]!;
    if (key === 'host') blocks.push({ patterns: value.split(/\s+/).map(unquote), options: [] });
    else if (key === 'match') blocks.push({ patterns: 'match', options: [] });
    else blocks[blocks.length - 1]!.options.push([key, unquote(value)]);
  }
  return blocks;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
}

function hostMatches(patterns: string[], alias: string): boolean {
  let matched = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (globToRegExp(p.slice(1)).test(alias)) return false;
    } else if (globToRegExp(p).test(alias)) {
      matched = true;
    }
  }
  return matched;
}

function expandHome(p: string, home: string): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}

/** What `ssh <alias>` would use, from the text of an ssh config file. */
export function resolveSshHost(alias: string, configText: string, home = os.homedir()): SshHostConfig {
  const first = new Map<string, string>();
  const identityFiles: string[] = [];
  for (const block of parseBlocks(configText)) {
    if (block.patterns === 'match' || !hostMatches(block.patterns, alias)) continue;
    for (const [key, value] of block.options) {
      if (key === 'identityfile') identityFiles.push(expandHome(value, home));
      else if (!first.has(key)) first.set(key, value);
    }
  }
  const hostName = (first.get('hostname') ?? alias).replace(/%h/g, alias);
  const port = Number(first.get('port') ?? 22);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`ssh config for ${alias}: bad Port ${first.get('port')}`);
  const strict = (first.get('stricthostkeychecking') ?? 'ask').toLowerCase();
  const knownHosts = first.get('userknownhostsfile');
  return {
    alias,
    hostName,
    port,
    user: first.get('user'),
    identityFiles,
    userKnownHostsFiles: knownHosts ? knownHosts.split(/\s+/).map((f) => expandHome(unquote(f), home)) : [path.join(home, '.ssh', 'known_hosts')],
    strictHostKeyChecking: strict === 'no' || strict === 'off' ? 'no' : strict === 'yes' ? 'yes' : strict === 'accept-new' ? 'accept-new' : 'ask',
  };
}
