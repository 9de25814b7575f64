/**
 * Ring-buffer records from ps-loader's frame pipe (fd 3, `watch MAP frames`):
 * frames of u32 record size, u32 record count (little-endian), then the
 * records back to back. Pipe reads cut frames anywhere; this reassembles
 * them, copying only a frame that spans reads. The records of a frame are a
 * view into the chunk they arrived in (Node never reuses a read's buffer).
 */
export interface RecordFrame { data: Uint8Array; size: number; count: number }

const HEADER = 8;

export class FrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  constructor(private readonly onFrame: (frame: RecordFrame) => void) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    for (;;) {
      if (this.buffered < HEADER) return;
      const head = this.peek(HEADER);
      const view = new DataView(head.buffer, head.byteOffset, HEADER);
      const size = view.getUint32(0, true);
      const count = view.getUint32(4, true);
      const total = HEADER + size * count;
      if (this.buffered < total) return;
      const frame = this.take(total);
      if (size > 0 && count > 0) this.onFrame({ data: frame.subarray(HEADER), size, count });
    }
  }

  /** The first n buffered bytes, joined into the first chunk if they span several. */
  private peek(n: number): Uint8Array {
    if (this.chunks[0]!.byteLength < n) {
      const joined = new Uint8Array(this.buffered);
      let at = 0;
      for (const c of this.chunks) { joined.set(c, at); at += c.byteLength; }
      this.chunks = [joined];
    }
    return this.chunks[0]!;
  }

  private take(n: number): Uint8Array {
    const first = this.peek(n);
    const out = first.subarray(0, n);
    if (first.byteLength === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}
