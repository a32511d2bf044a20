import { describe, expect, it } from 'vitest';
import { allocBatch, PrioritizedReplayBuffer, ReplayBuffer } from '../../src/core/rl/replay-buffer.js';
import { Random } from '../../src/core/util/random.js';

/** A 1-d transition whose reward names it. */
const transition = (id: number) => ({ state: [id], action: [0], reward: id, nextState: [id], terminal: 0 });

describe('replay buffers', () => {
  it('uniform: rows carry weight 1 and no slot; the ring overwrites the oldest', () => {
    const buffer = new ReplayBuffer(4, 1);
    for (let i = 0; i < 6; i++) buffer.add(transition(i));
    expect(buffer.size).toBe(4);
    const batch = allocBatch(200, 1);
    buffer.sampleInto(batch, 0, 200, new Random(1));
    expect(new Set(batch.rewards)).toEqual(new Set([2, 3, 4, 5]));
    expect(batch.weights.every((w) => w === 1)).toBe(true);
    expect(batch.slots.every((s) => s === -1)).toBe(true);
  });

  it('prioritised: draws in proportion to (|TD error| + eps)^alpha and weights rows by (N P)^-beta / max', () => {
    const buffer = new PrioritizedReplayBuffer(8, 1, { alpha: 1, betaStart: 1, epsilon: 0 });
    for (let i = 0; i < 4; i++) buffer.add(transition(i));
    // New transitions share the largest priority so far: uniform at first.
    expect([0, 1, 2, 3].map((s) => buffer.priorityOf(s))).toEqual([1, 1, 1, 1]);
    buffer.updatePriorities(Int32Array.from([0, 1, 2, 3]), [1, 2, 3, 4]);
    expect(buffer.total).toBeCloseTo(10, 12);

    const counts = [0, 0, 0, 0];
    const batch = allocBatch(100, 1);
    const rng = new Random(3);
    for (let round = 0; round < 200; round++) {
      buffer.sampleWeightedInto(batch, 0, 100, rng, 1);
      for (let j = 0; j < 100; j++) counts[batch.rewards[j]]++;
    }
    const shares = counts.map((c) => c / 20_000);
    [0.1, 0.2, 0.3, 0.4].forEach((expected, i) => expect(shares[i]).toBeCloseTo(expected, 2));
    // beta = 1: weight = (N P(i))^-1 / max = P(min) / P(i)
    buffer.sampleWeightedInto(batch, 0, 100, rng, 1);
    for (let j = 0; j < 100; j++) {
      expect(batch.weights[j]).toBeCloseTo(1 / (batch.rewards[j] + 1), 6);
      expect(batch.slots[j]).toBe(batch.rewards[j]);
    }
    // A new transition gets the largest priority seen (4); rows from elsewhere (slot -1) are ignored.
    buffer.add(transition(4));
    expect(buffer.priorityOf(4)).toBe(4);
    buffer.updatePriorities(Int32Array.from([-1, 4]), [100, 0.5]);
    expect(buffer.priorityOf(4)).toBe(0.5);
    expect(buffer.total).toBeCloseTo(10.5, 12);
  });

  it('prioritised: annealing beta from betaStart to 1 evens the weights less at the start', () => {
    const buffer = new PrioritizedReplayBuffer(4, 1, { alpha: 1, betaStart: 0.5, epsilon: 0 });
    for (let i = 0; i < 2; i++) buffer.add(transition(i));
    buffer.updatePriorities(Int32Array.from([0, 1]), [1, 3]);
    const batch = allocBatch(64, 1);
    buffer.sampleWeightedInto(batch, 0, 64, new Random(5), 0);
    const heavy = batch.weights[batch.rewards.indexOf(1)];
    expect(heavy).toBeCloseTo(Math.sqrt(1 / 3), 6);
    buffer.sampleWeightedInto(batch, 0, 64, new Random(5), 1);
    expect(batch.weights[batch.rewards.indexOf(1)]).toBeCloseTo(1 / 3, 6);
  });
});
