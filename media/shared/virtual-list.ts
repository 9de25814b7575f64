/**
 * Windowing for long lists with a fixed row height: only the rows in view
 * (plus a little overscan) exist in the DOM, recycled as the list scrolls, so
 * 100,000 rows cost what 40 do. A spacer gives the scrollbar its full length.
 * Renders at most once per animation frame however often data arrives, and
 * follows the tail (like `hubble observe -f`) while scrolled to the bottom.
 *
 * Cheap frames while streaming: an item keeps its pooled row for as long as
 * it stays in the window (slot = its position counted from the first item
 * ever appended, modulo the pool), so a row is refilled only when it shows
 * another item and otherwise at most moved (a transform: no layout). Sizes
 * come from a ResizeObserver and the scroll offset is computed, not read
 * back after a write, so a frame forces at most one layout.
 */
export interface VirtualListOptions<Row extends { readonly element: HTMLElement }> {
  rowHeight: number;
  /** Builds an empty row (once per pooled row). */
  createRow(): Row;
  /** Fills a pooled row for the item at `index`. */
  renderRow(row: Row, index: number): void;
  /** A stable identity of the item at `index` (e.g. its sequence number): a row already showing it is not refilled. */
  keyOf(index: number): number;
  /** Called when a row leaves the window, so it no longer looks like data to selectors (tests, users' scripts). */
  clearRow(row: Row): void;
  overscan?: number;
}

export class VirtualList<Row extends { readonly element: HTMLElement }> {
  private readonly spacer = document.createElement('div');
  private readonly pool: Row[] = [];
  /** Per pooled row: the key it shows (NaN: none, and the row is hidden), its offset, and the frame that last used it. */
  private rowKey: number[] = [];
  private rowY: number[] = [];
  private rowUsed: number[] = [];
  private count = 0;
  /** Items removed from the front since the last reset: keeps each item's slot stable while the front is trimmed. */
  private removed = 0;
  /** Front removals not yet compensated in the scroll offset (when not following). */
  private pendingShift = 0;
  private spacerHeight = -1;
  private height = 0;
  private frame = 0;
  private frameNo = 0;
  private dirty = true;
  /** Follow new rows while the user is at the bottom; scrolling up stops it. */
  follow = true;

  constructor(readonly viewport: HTMLElement, private readonly options: VirtualListOptions<Row>) {
    this.spacer.className = 'virtual-spacer';
    viewport.appendChild(this.spacer);
    viewport.addEventListener('scroll', () => {
      const bottom = viewport.scrollTop + this.height >= this.count * options.rowHeight - options.rowHeight;
      this.follow = bottom;
      this.schedule(false);
    }, { passive: true });
    new ResizeObserver((entries) => {
      this.height = entries[entries.length - 1].contentRect.height;
      this.schedule(false);
    }).observe(viewport);
  }

  /**
   * The list now has `count` items. `changed`: items already shown may be
   * other items now (filter, reset). `removedFromFront`: that many items left
   * the start of the list (the others only moved up).
   */
  setCount(count: number, changed = false, removedFromFront = 0): void {
    this.count = count;
    if (changed) this.removed = 0;
    else if (removedFromFront) { this.removed += removedFromFront; this.pendingShift += removedFromFront; }
    this.schedule(changed);
  }

  scrollToIndex(index: number): void {
    this.viewport.scrollTop = Math.max(0, index * this.options.rowHeight - this.height / 2);
  }

  /** Refill every visible row on the next frame (e.g. after a selection change). */
  refresh(): void {
    this.schedule(true);
  }

  private schedule(changed: boolean): void {
    if (changed) this.dirty = true;
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private render(): void {
    const { rowHeight } = this.options;
    const overscan = this.options.overscan ?? 6;
    const height = this.height || this.viewport.clientHeight;
    // Read before any write, so this read needs no layout of its own.
    let top = this.viewport.scrollTop;
    let setTop = false;
    const total = this.count * rowHeight;
    if (total !== this.spacerHeight) { this.spacer.style.height = `${total}px`; this.spacerHeight = total; }
    if (this.follow) { top = Math.max(0, total - height); setTop = true; }
    else if (this.pendingShift) { top = Math.max(0, top - this.pendingShift * rowHeight); setTop = true; }
    this.pendingShift = 0;
    if (setTop && this.viewport.scrollTop !== top) this.viewport.scrollTop = top;

    const firstInView = Math.floor(top / rowHeight);
    const first = Math.max(0, firstInView - overscan);
    const last = Math.min(this.count, firstInView + Math.ceil(height / rowHeight) + 1 + overscan);
    const wanted = Math.ceil(height / rowHeight) + 2 + 2 * overscan;
    if (this.pool.length < wanted) this.grow(wanted);

    const frameNo = ++this.frameNo;
    const size = this.pool.length;
    for (let index = first; index < last; index++) {
      const slot = (index + this.removed) % size;
      const row = this.pool[slot];
      const key = this.options.keyOf(index);
      if (Number.isNaN(this.rowKey[slot])) row.element.hidden = false;
      if (this.dirty || this.rowKey[slot] !== key) {
        this.options.renderRow(row, index);
        this.rowKey[slot] = key;
      }
      const y = index * rowHeight;
      if (this.rowY[slot] !== y) { row.element.style.transform = `translateY(${y}px)`; this.rowY[slot] = y; }
      this.rowUsed[slot] = frameNo;
    }
    for (let slot = 0; slot < size; slot++) {
      if (this.rowUsed[slot] === frameNo || Number.isNaN(this.rowKey[slot])) continue;
      this.pool[slot].element.hidden = true;
      this.options.clearRow(this.pool[slot]);
      this.rowKey[slot] = NaN;
    }
    this.dirty = false;
  }

  /** More pooled rows (the viewport grew): slots are reassigned, so every row is refilled. */
  private grow(wanted: number): void {
    while (this.pool.length < wanted) {
      const row = this.options.createRow();
      const style = row.element.style;
      style.position = 'absolute';
      style.left = '0';
      style.right = '0';
      style.height = `${this.options.rowHeight}px`;
      row.element.hidden = true;
      this.pool.push(row);
      this.viewport.appendChild(row.element);
    }
    this.rowKey = this.pool.map(() => NaN);
    this.rowY = this.pool.map(() => NaN);
    this.rowUsed = this.pool.map(() => -1);
    this.dirty = true;
    for (const row of this.pool) { row.element.hidden = true; this.options.clearRow(row); }
  }
}
