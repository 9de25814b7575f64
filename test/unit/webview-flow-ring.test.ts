/**
 * The flows view's shown index: it follows the retained flows (a ring of 4
 * here: flow n evicts flow n-4) without rebuilding, and wraps around its buffer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeqIndex } from '../../media/flows/flow-ring';

test('the shown index drops what left the ring and wraps around its buffer', () => {
  const shown = new SeqIndex(4);
  const even = (n: number): boolean => n % 2 === 0;
  const removed: number[] = [];
  for (let seq = 0; seq < 11; seq++) {
    const base = Math.max(0, seq - 3);
    removed.push(shown.dropBelow(base));
    if (even(seq)) shown.push(seq);
  }
  // Retained 7..10; shown are the even ones among them.
  assert.deepEqual(Array.from({ length: shown.length }, (_, i) => shown.at(i)), [8, 10]);
  assert.equal(removed.reduce((a, b) => a + b, 0), 4, 'evens 0, 2, 4, 6 left with their flows');
  // Every flow shown: the index is full and evicts in step with the ring.
  const all = new SeqIndex(4);
  for (let seq = 0; seq < 10; seq++) { all.dropBelow(Math.max(0, seq - 3)); all.push(seq); }
  assert.deepEqual(Array.from({ length: all.length }, (_, i) => all.at(i)), [6, 7, 8, 9]);
});
