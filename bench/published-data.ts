/** The published-data reader lives with the virtual lab (simulators/published-data.ts); the benchmarks use it from here. */
export * from '../simulators/published-data.js';
