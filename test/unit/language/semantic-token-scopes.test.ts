/**
 * Themes without semantic highlighting colour the policy language through
 * package.json's semanticTokenScopes: every token type the semantic token
 * provider emits needs a TextMate fallback scope there.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');

test('every semantic token type the provider emits has a fallback scope for the policy language', () => {
  const provider = readFileSync(resolve(root, 'src/language-server/policy-semantic-tokens.ts'), 'utf8');
  const emitted = new Set([...provider.matchAll(/SemanticTokenTypes\.(\w+)/g)].map((m) => m[1]!));
  assert.ok(emitted.size >= 5, `found ${[...emitted]}`);
  const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as {
    contributes: { semanticTokenScopes?: { language: string; scopes: Record<string, string[]> }[] };
  };
  const scopes = manifest.contributes.semanticTokenScopes?.find((s) => s.language === 'policy')?.scopes ?? {};
  const missing = [...emitted].filter((t) => !scopes[t]?.length);
  assert.deepEqual(missing, [], 'token types without a fallback scope');
  for (const list of Object.values(scopes)) for (const scope of list) assert.match(scope, /\.policy$/, 'scopes name the language');
});
