/**
 * Lab addresses: 10.244.0.0/16, used only inside the lab's namespaces (nothing
 * is routed outside). The node namespace holds 10.244.0.1 (the `host`
 * identity, and every endpoint's gateway); endpoints get /32 addresses from
 * 10.244.0.2 up. Addresses of removed endpoints are reused.
 */
export const LAB_CIDR = '10.244.0.0/16';
export const LAB_PREFIX_LEN = 16;
export const NODE_IP = '10.244.0.1';

const BASE = (10 << 24) | (244 << 16);
const FIRST_INDEX = 2;
const LAST_INDEX = 0xfffe;

export function ipOfIndex(index: number): string {
  const n = BASE + index;
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Hands out endpoint addresses, never two the same, never the node's. */
export class AddressPool {
  private readonly used = new Set<string>();

  constructor(inUse: Iterable<string> = []) {
    for (const ip of inUse) this.used.add(ip);
  }

  allocate(): string {
    for (let i = FIRST_INDEX; i <= LAST_INDEX; i++) {
      const ip = ipOfIndex(i);
      if ((i & 255) === 0 || (i & 255) === 255) continue; // avoid .0/.255 for readability
      if (!this.used.has(ip)) {
        this.used.add(ip);
        return ip;
      }
    }
    throw new Error(`the lab address range ${LAB_CIDR} is exhausted`);
  }

  release(ip: string): void {
    this.used.delete(ip);
  }
}
