/**
 * Structural equality of JSON values (what JSON.parse gives: objects, arrays,
 * strings, numbers, booleans, null). The compile cache uses it to recognise
 * an unchanged policy in a re-sent bundle: walking both is several times
 * cheaper than serialising and hashing a policy of thousands of rules, and a
 * difference is usually found within the first few rules. Keys in `ignore`
 * must be present on both sides but their values are not compared.
 */
export function sameJson(a: unknown, b: unknown, ignore?: ReadonlySet<string>): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i], ignore)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  // for…in over plain objects: no key arrays allocated (this walks every rule of a re-sent bundle).
  let keys = 0;
  for (const k in a) {
    keys++;
    if (!hasOwn.call(b, k)) return false;
    if (ignore?.has(k)) continue;
    if (!sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], ignore)) return false;
  }
  for (const k in b) if (hasOwn.call(b, k)) keys--;
  return keys === 0;
}

const hasOwn = Object.prototype.hasOwnProperty;
