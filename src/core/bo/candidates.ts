/**
 * Candidate compositions for the acquisition: random legal compositions on the grid, and local
 * moves (a few grid-step transfers between elements, sometimes adding or dropping one) around
 * promising alloys. Only legal compositions of the space enter the pool, each once, and none
 * that is measured or pending (compared on the grid).
 *
 * With process variables (domain/process.ts) a candidate is a composition with process values:
 * each composition once per process, random candidates draw theirs, local moves keep their
 * start's, and process moves change one variable of a candidate's process.
 */
import type { DesignSpace } from '../domain/design-space.js';
import { processKey, randomProcess, type ProcessValues } from '../domain/process.js';
import { gridKey, PRESENCE_EPS, roundToGrid } from '../domain/composition-grid.js';
import { isLegal } from '../domain/design-space.js';
import { randomLegalComposition } from '../domain/state.js';
import type { Random } from '../util/random.js';

export class CandidatePool {
  readonly points: Float64Array[] = [];
  /** Each point's process values (null for a space without process variables). */
  readonly processes: (ProcessValues | null)[] = [];
  private readonly keys = new Set<string>();

  constructor(
    readonly space: DesignSpace,
    /** Grid keys that may not be proposed (measured, pending). */
    private readonly excluded: ReadonlySet<string>,
  ) {}

  get size(): number {
    return this.points.length;
  }

  /** Adds x (rounded to the grid) with its process values when legal, new and its composition not excluded. */
  add(x: ArrayLike<number>, process: ProcessValues | null = null): boolean {
    const g = roundToGrid(x, this.space.step);
    if (!isLegal(g, this.space)) return false;
    const composition = gridKey(g, this.space.step);
    const key = process ? `${composition}|${processKey(process, this.space.process ?? [])}` : composition;
    if (this.keys.has(key) || this.excluded.has(composition)) return false;
    this.keys.add(key);
    this.points.push(g);
    this.processes.push(process);
    return true;
  }

  /** Random legal compositions, each with random process values when the space has process variables. */
  addRandom(count: number, rng: Random): void {
    const space = this.space;
    const variables = space.process ?? [];
    for (let tries = 0, added = 0; added < count && tries < count * 3; tries++) {
      const x = randomLegalComposition(space, rng, { minCount: space.minElements, maxCount: space.maxElements, tries: 50 });
      if (x && this.add(x, variables.length ? randomProcess(variables, rng) : null)) added++;
    }
  }

  /** Up to `count` local moves around `start` (each 1-3 grid-step transfers of 1..maxSteps steps), with the start's process. */
  addLocalMoves(start: ArrayLike<number>, count: number, maxSteps: number, rng: Random, process: ProcessValues | null = null): void {
    for (let tries = 0, added = 0; added < count && tries < count * 4; tries++) {
      if (this.add(localMove(start, this.space, maxSteps, rng), process)) added++;
    }
  }

  /** Up to `count` process moves: the same composition with one process variable drawn anew. */
  addProcessMoves(start: ArrayLike<number>, process: ProcessValues, count: number, rng: Random): void {
    const variables = this.space.process ?? [];
    if (variables.length === 0) return;
    for (let tries = 0, added = 0; added < count && tries < count * 4; tries++) {
      const v = variables[rng.int(variables.length)];
      if (this.add(start, { ...process, [v.name]: randomProcess([v], rng)[v.name] })) added++;
    }
  }
}

/** One local move in fraction space (the result may be illegal; the pool checks). */
export function localMove(start: ArrayLike<number>, space: DesignSpace, maxSteps: number, rng: Random): Float64Array {
  const x = roundToGrid(start, space.step);
  const step = space.step / 100;
  const moves = 1 + rng.int(3);
  for (let m = 0; m < moves; m++) {
    const present: number[] = [];
    const absent: number[] = [];
    x.forEach((v, i) => (v > PRESENCE_EPS ? present : absent).push(i));
    const r = rng.next();
    const amount = step * (1 + rng.int(maxSteps));
    if (r < 0.15 && absent.length > 0 && present.length < space.maxElements) {
      const to = rng.pick(absent);
      const from = rng.pick(present);
      const moved = Math.min(Math.max(amount, (space.bounds[space.elements[to]]?.min ?? 0) / 100), x[from]);
      x[from] -= moved;
      x[to] += moved;
    } else if (r < 0.25 && present.length > space.minElements) {
      const droppable = present.filter((i) => space.elements[i] !== space.baseElement && (space.bounds[space.elements[i]]?.min ?? 0) <= 0);
      if (droppable.length === 0) continue;
      const from = rng.pick(droppable);
      const to = rng.pick(present.filter((i) => i !== from));
      x[to] += x[from];
      x[from] = 0;
    } else if (present.length >= 2) {
      const from = rng.pick(present);
      const to = rng.pick(present.filter((i) => i !== from));
      const moved = Math.min(amount, x[from]);
      x[from] -= moved;
      x[to] += moved;
    }
  }
  return x;
}
