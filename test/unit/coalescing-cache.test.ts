import { describe, expect, it, vi } from 'vitest';
import { CoalescingCache } from '../../src/common/coalescing-cache.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loader that counts its calls and answers after `ms` with the call number. */
function counter(ms = 20) {
  let calls = 0;
  return {
    get calls() {
      return calls;
    },
    load: async () => {
      const n = ++calls;
      await sleep(ms);
      return n;
    },
  };
}

describe('CoalescingCache', () => {
  it('shares one load among concurrent misses and serves hits from memory while fresh', async () => {
    const cache = new CoalescingCache<number>({ freshMs: 1000, staleMs: 5000, maxEntries: 10 });
    const c = counter();
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get('g', 'k', c.load)));
    expect(new Set(answers)).toEqual(new Set([1]));
    expect(c.calls).toBe(1);
    expect(await cache.get('g', 'k', c.load)).toBe(1);
    expect(await cache.get('g', 'other', c.load)).toBe(2);
    expect(c.calls).toBe(2);
  });

  it('serves a stale entry while one background load replaces it; too old an entry makes callers wait', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const cache = new CoalescingCache<number>({ freshMs: 30, staleMs: 150, maxEntries: 10 });
      let calls = 0;
      const load = async () => ++calls;
      expect(await cache.get('g', 'k', load)).toBe(1);
      vi.advanceTimersByTime(50);
      expect(await Promise.all([cache.get('g', 'k', load), cache.get('g', 'k', load)])).toEqual([1, 1]);
      await Promise.resolve();
      expect(calls).toBe(2);
      expect(await cache.get('g', 'k', load)).toBe(2);
      vi.advanceTimersByTime(200);
      expect(await cache.get('g', 'k', load)).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('invalidating a group drops its entries, and a load started before is neither stored nor joined', async () => {
    const cache = new CoalescingCache<number>({ freshMs: 10_000, staleMs: 10_000, maxEntries: 10 });
    const c = counter(40);
    const before = cache.get('campaign', 'page', c.load);
    await sleep(5);
    cache.invalidate('campaign');
    const after = cache.get('campaign', 'page', c.load);
    expect(await before).toBe(1);
    expect(await after).toBe(2);
    expect(await cache.get('campaign', 'page', c.load)).toBe(2);
    expect(await cache.get('elsewhere', 'page', c.load)).toBe(3);
    cache.invalidate('campaign');
    expect(await cache.get('elsewhere', 'page', c.load)).toBe(3);
    expect(await cache.get('campaign', 'page', c.load)).toBe(4);
  });

  it('does not keep failures, and stays within its size by dropping the oldest group', async () => {
    const cache = new CoalescingCache<number>({ freshMs: 10_000, staleMs: 10_000, maxEntries: 2 });
    await expect(cache.get('g', 'k', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('g', 'k', async () => 7)).toBe(7);
    await cache.get('h', 'k', async () => 8);
    await cache.get('i', 'k', async () => 9);
    expect(await cache.get('g', 'k', async () => 70)).toBe(70);
    expect(await cache.get('i', 'k', async () => 90)).toBe(9);
  });
});
