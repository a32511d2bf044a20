/** A composition in atomic percent by element symbol; values sum to 100 once normalised. */
export type Composition = Record<string, number>;
