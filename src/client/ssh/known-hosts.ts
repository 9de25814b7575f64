/**
 * Host key checking against OpenSSH's known_hosts: plain (`host,[host]:port`)
 * and hashed (`|1|salt|hmac`) entries, `@revoked` markers, and appending a
 * newly trusted key the way `ssh` records it. A key that differs from a
 * recorded one for the same host and key type is a changed key: refused.
 */
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export type HostKeyStatus = 'known' | 'unknown' | 'changed' | 'revoked';

/** `host` on port 22, `[host]:port` otherwise: how known_hosts names an endpoint. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** The key type inside an SSH wire-format public key blob (`ssh-ed25519`, `rsa-sha2-…` keys say `ssh-rsa`). */
export function keyTypeOf(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprintOf(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

function nameMatches(field: string, name: string): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  let matched = false;
  for (const pattern of field.split(',')) {
    const negated = pattern.startsWith('!');
    const glob = negated ? pattern.slice(1) : pattern;
    const re = new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\[/g, '\\[').replace(/\]/g, '\\]').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
    if (re.test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

/** Checks a host's key (wire blob) against the given known_hosts texts. */
export function checkHostKey(knownHostsTexts: string[], host: string, port: number, keyBlob: Buffer): HostKeyStatus {
  const name = knownHostName(host, port);
  const type = keyTypeOf(keyBlob);
  const key = keyBlob.toString('base64');
  let sameTypeDiffers = false;
  for (const text of knownHostsTexts) {
    for (const raw of text.split(/\r?\n/)) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const fields = line.split(/\s+/);
      const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
      const [names, entryType, entryKey] = fields;
      if (!names || !entryType || !entryKey || !nameMatches(names, name)) continue;
      if (marker === '@revoked' && entryKey === key) return 'revoked';
      if (marker) continue; // @cert-authority: certificates are not used here
      if (entryType === type && entryKey === key) return 'known';
      if (entryType === type) sameTypeDiffers = true;
    }
  }
  return sameTypeDiffers ? 'changed' : 'unknown';
}

export function readKnownHosts(files: string[]): string[] {
  return files.map((f) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  });
}

/** Records a trusted key (`[127.0.0.1]:2222 ssh-ed25519 AAAA…`), creating the file (0600) and its directory. */
export function addKnownHost(file: string, host: string, port: number, keyBlob: Buffer): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const sep = existing && !existing.endsWith('\n') ? '\n' : '';
  fs.appendFileSync(file, `${sep}${knownHostName(host, port)} ${keyTypeOf(keyBlob)} ${keyBlob.toString('base64')}\n`, { mode: 0o600 });
}
