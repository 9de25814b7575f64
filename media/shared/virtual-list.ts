/**
 * Windowing for long lists with a fixed row height: only the rows in view
 * (plus a little overscan) exist in the DOM, recycled as the list scrolls, so
 * 100,000 rows cost what 40 do. A spacer gives the scrollbar its full length.
 * Renders at most once per animation frame however often data arrives, and
 * follows the tail (like `hubble observe -f`) while scrolled to the bottom.
 */
export interface VirtualListOptions {
  rowHeight: number;
  /** Builds an empty row element (once per pooled row). */
  createRow(): HTMLElement;
  /** Fills a pooled row for the item at `index`. */
  renderRow(row: HTMLElement, index: number): void;
  overscan?: number;
}

export class VirtualList {
  private readonly spacer = document.createElement('div');
  private readonly pool: HTMLElement[] = [];
  /** Which index each pooled row shows, so unchanged rows are not refilled. */
  private readonly shownIndex: number[] = [];
  private count = 0;
  private frame = 0;
  private dirty = true;
  /** Follow new rows while the user is at the bottom; scrolling up stops it. */
  follow = true;

  constructor(readonly viewport: HTMLElement, private readonly options: VirtualListOptions) {
    this.spacer.className = 'virtual-spacer';
    viewport.appendChild(this.spacer);
    viewport.addEventListener('scroll', () => {
      const bottom = viewport.scrollTop + viewport.clientHeight >= viewport.scrollHeight - options.rowHeight;
      this.follow = bottom;
      this.schedule(false);
    }, { passive: true });
    new ResizeObserver(() => this.schedule(false)).observe(viewport);
  }

  /** The list now has `count` rows; `changed` when rows already shown may show other items (filter, trim). */
  setCount(count: number, changed = false): void {
    this.count = count;
    this.schedule(changed);
  }

  scrollToIndex(index: number): void {
    this.viewport.scrollTop = Math.max(0, index * this.options.rowHeight - this.viewport.clientHeight / 2);
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
    const overscan = this.options.overscan ?? 8;
    this.spacer.style.height = `${this.count * rowHeight}px`;
    if (this.follow) this.viewport.scrollTop = this.viewport.scrollHeight;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / rowHeight) - overscan);
    const visible = Math.ceil(this.viewport.clientHeight / rowHeight) + 2 * overscan;
    const last = Math.min(this.count, first + visible);
    while (this.pool.length < last - first) {
      const row = this.options.createRow();
      row.style.position = 'absolute';
      row.style.left = '0';
      row.style.right = '0';
      row.style.height = `${rowHeight}px`;
      this.pool.push(row);
      this.shownIndex.push(-1);
      this.viewport.appendChild(row);
    }
    for (let slot = 0; slot < this.pool.length; slot++) {
      const row = this.pool[slot];
      const index = first + slot;
      if (index >= last) {
        if (!row.hidden) {
          row.hidden = true;
          this.shownIndex[slot] = -1;
          // A hidden spare row must not still look like data to selectors (tests, users' scripts).
          for (const key of Object.keys(row.dataset)) delete row.dataset[key];
        }
        continue;
      }
      row.hidden = false;
      if (this.dirty || this.shownIndex[slot] !== index) {
        this.options.renderRow(row, index);
        row.style.transform = `translateY(${index * rowHeight}px)`;
        this.shownIndex[slot] = index;
      }
    }
    this.dirty = false;
  }
}
