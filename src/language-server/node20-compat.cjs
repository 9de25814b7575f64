// Langium 4.4 depends on chevrotain 13, which calls Object.groupBy (Node >= 21)
// while validating a grammar. The project supports Node 20, so define it when
// missing. Loaded first by every entry point that creates a Langium parser, and
// by scripts/build.mjs for `langium generate`.
'use strict';
if (typeof Object.groupBy !== 'function') {
  Object.defineProperty(Object, 'groupBy', {
    configurable: true,
    writable: true,
    value: function groupBy(items, keyOf) {
      const groups = Object.create(null);
      let index = 0;
      for (const item of items) {
        const key = keyOf(item, index++);
        (groups[key] ??= []).push(item);
      }
      return groups;
    },
  });
}
