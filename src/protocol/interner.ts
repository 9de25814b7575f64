/**
 * A batch's table of distinct values (strings, rule sources): each value gets
 * an index the first time it is seen; undefined is -1. Columnar flow batches
 * carry these indices instead of repeating the values.
 */
export class Interner<T> {
  readonly items: T[] = [];
  private readonly index = new Map<T, number>();

  of(value: T | undefined): number {
    if (value === undefined) return -1;
    let i = this.index.get(value);
    if (i === undefined) {
      i = this.items.push(value) - 1;
      this.index.set(value, i);
    }
    return i;
  }
}
