/**
 * A small read-through cache for hot, expensive reads under concurrent load (100 clients polling
 * one campaign): concurrent misses of a key share one load (no thundering herd when an entry
 * expires), an entry older than `freshMs` is served while one background load replaces it (as long
 * as it is younger than `staleMs`), and a group of keys (one campaign) is dropped at once when this
 * process learns that its data changed. Other processes' changes show within `freshMs` plus one
 * load.
 */
export interface CoalescingCacheOptions {
  /** Served without reloading this long. */
  freshMs: number;
  /** Served (while a reload runs) up to this age; older entries make the caller wait. */
  staleMs: number;
  /** Entries kept in all; the oldest group is dropped beyond it. */
  maxEntries: number;
}

interface Entry<V> {
  at: number;
  value: V;
}

export class CoalescingCache<V> {
  private readonly groups = new Map<string, Map<string, Entry<V>>>();
  private readonly loading = new Map<string, Promise<V>>();
  /** Bumped by invalidate so that a load started before a change never stores its old answer. */
  private readonly generation = new Map<string, number>();
  private size = 0;

  constructor(private readonly options: CoalescingCacheOptions) {}

  async get(group: string, key: string, load: () => Promise<V>): Promise<V> {
    const entry = this.groups.get(group)?.get(key);
    const age = entry ? Date.now() - entry.at : Infinity;
    if (entry && age < this.options.freshMs) return entry.value;
    if (entry && age < this.options.staleMs) {
      void this.load(group, key, load).catch(() => undefined);
      return entry.value;
    }
    return this.load(group, key, load);
  }

  /** Drop every entry of a group (its data changed); loads already running are not stored. */
  invalidate(group: string): void {
    const entries = this.groups.get(group);
    if (entries) this.size -= entries.size;
    this.groups.delete(group);
    this.generation.set(group, (this.generation.get(group) ?? 0) + 1);
  }

  /** Drop everything. */
  clear(): void {
    for (const group of [...this.groups.keys()]) this.invalidate(group);
  }

  private load(group: string, key: string, load: () => Promise<V>): Promise<V> {
    const generation = this.generation.get(group) ?? 0;
    // A load started before an invalidation is not joined by callers after it.
    const id = `${group}\u0000${generation}\u0000${key}`;
    const running = this.loading.get(id);
    if (running) return running;
    const started = Date.now();
    const p = load()
      .then((value) => {
        if ((this.generation.get(group) ?? 0) === generation) this.store(group, key, { at: started, value });
        return value;
      })
      .finally(() => this.loading.delete(id));
    this.loading.set(id, p);
    return p;
  }

  private store(group: string, key: string, entry: Entry<V>): void {
    let entries = this.groups.get(group);
    if (!entries) {
      entries = new Map();
      this.groups.set(group, entries);
    }
    if (!entries.has(key)) this.size++;
    entries.set(key, entry);
    while (this.size > this.options.maxEntries && this.groups.size > 1) {
      const oldest = this.groups.keys().next().value!;
      this.size -= this.groups.get(oldest)!.size;
      this.groups.delete(oldest);
    }
  }
}
