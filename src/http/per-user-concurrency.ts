// One user's expensive reads run a few at a time, in this process: the rest of that user's requests wait
// their turn here rather than in the database pool, where they would make every other user wait too.

interface Slot {
  running: number;
  waiting: (() => void)[];
}

export class PerUserConcurrency {
  private readonly slots = new Map<number, Slot>();

  constructor(private readonly max: number) {}

  async run<T>(userId: number, work: () => Promise<T>): Promise<T> {
    let slot = this.slots.get(userId);
    if (!slot) this.slots.set(userId, (slot = { running: 0, waiting: [] }));
    if (slot.running >= this.max) await new Promise<void>((resolve) => slot.waiting.push(resolve));
    else slot.running++;
    try {
      return await work();
    } finally {
      const next = slot.waiting.shift();
      // A waiter takes over the finished one's place; with none, the place is freed (and the entry with it).
      if (next) next();
      else if (--slot.running === 0) this.slots.delete(userId);
    }
  }
}
