/**
 * Which agent operations may overlap. Everything that changes the node (lab,
 * datapath, policy, flow settings) runs strictly one after another, so no two
 * changes interleave. Probes only read the lab: they run beside policy
 * changes (a probe during a deploy sees whichever policy the datapath held
 * when its packet passed, exactly as real traffic would), so a slow probe —
 * a denied TCP connect waits for its timeout — never holds up a deploy. What
 * a probe must not overlap is the lab changing under it (namespaces created
 * or deleted, programs re-attached): lab operations wait for running probes,
 * and probes queued behind a waiting lab operation wait for it (no starvation).
 */

/** Runs operations strictly one after another. */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(op: () => Promise<T>): Promise<T> {
    const next = this.tail.then(op, op);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

/** A readers–writer lock, fair in arrival order: a waiting writer holds back readers that come after it. */
export class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly waiting: { write: boolean; start: () => void }[] = [];

  read<T>(op: () => Promise<T>): Promise<T> {
    return this.acquire(false, op);
  }

  write<T>(op: () => Promise<T>): Promise<T> {
    return this.acquire(true, op);
  }

  private acquire<T>(write: boolean, op: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        if (write) this.writer = true;
        else this.readers++;
        op().then(resolve, reject).finally(() => {
          if (write) this.writer = false;
          else this.readers--;
          this.admit();
        });
      };
      this.waiting.push({ write, start });
      this.admit();
    });
  }

  private admit(): void {
    while (this.waiting.length > 0 && !this.writer) {
      const next = this.waiting[0]!;
      if (next.write && this.readers > 0) return;
      this.waiting.shift();
      next.start();
      if (next.write) return;
    }
  }
}

export type OperationKind =
  /** Creates, changes or removes namespaces or attached programs: alone. */
  | 'lab'
  /** Changes policy or flow settings: one at a time, beside probes. */
  | 'change'
  /** Sends test traffic in the lab: one at a time, beside changes. */
  | 'probe';

export class OperationScheduler {
  private readonly changes = new SerialQueue();
  private readonly probes = new SerialQueue();
  private readonly lab = new ReadWriteLock();

  run<T>(kind: OperationKind, op: () => Promise<T>): Promise<T> {
    switch (kind) {
      case 'lab': return this.changes.run(() => this.lab.write(op));
      case 'change': return this.changes.run(() => this.lab.read(op));
      case 'probe': return this.probes.run(() => this.lab.read(op));
    }
  }
}
