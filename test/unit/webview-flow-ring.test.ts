/**
 * The flows view's retained rows: the ring evicts the oldest flow as a new
 * one arrives, and the shown index follows it without rebuilding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeqIndex, SeqRing } from '../../media/flows/flow-ring';

test('the ring keeps the newest `capacity` items, addressed by sequence number', () => {
  const ring = new SeqRing<string>(3);
  assert.deepEqual(['a', 'b'].map((x) => ring.push(x)), [0, 1]);
  assert.equal(ring.at(1), 'b');
  assert.equal(ring.at(2), undefined, 'not yet seen');
  for (const x of ['c', 'd', 'e']) ring.push(x);
  assert.equal(ring.length, 3);
  assert.equal(ring.base, 2);
  assert.equal(ring.end, 5);
  assert.equal(ring.at(1), undefined, 'evicted');
  assert.deepEqual([2, 3, 4].map((s) => ring.at(s)), ['c', 'd', 'e']);
  ring.clear();
  assert.equal(ring.length, 0);
  assert.equal(ring.push('f'), 0);
});

test('the shown index drops what left the ring and wraps around its buffer', () => {
  const ring = new SeqRing<number>(4);
  const shown = new SeqIndex(4);
  const even = (n: number): boolean => n % 2 === 0;
  const removed: number[] = [];
  for (let n = 0; n < 11; n++) {
    const seq = ring.push(n);
    removed.push(shown.dropBelow(ring.base));
    if (even(n)) shown.push(seq);
  }
  // Retained 7..10; shown are the even ones among them.
  assert.deepEqual(Array.from({ length: shown.length }, (_, i) => shown.at(i)), [8, 10]);
  assert.equal(removed.reduce((a, b) => a + b, 0), 4, 'evens 0, 2, 4, 6 left with their flows');
  // Every flow shown: the index is full and evicts in step with the ring.
  const all = new SeqIndex(4);
  for (let seq = 0; seq < 10; seq++) { all.dropBelow(Math.max(0, seq - 3)); all.push(seq); }
  assert.deepEqual(Array.from({ length: all.length }, (_, i) => all.at(i)), [6, 7, 8, 9]);
});
