/**
 * The paper's success rates of the agent in the virtual lab (SR_legal, SR_cls, SR_80, SR_done) and
 * the running counts behind them.
 */

/** Running counts behind the paper's success rates. */
export interface EnvStats {
  steps: number;
  legal: number;
  classified: number;
  /** Per objective: classified steps whose prediction reached the threshold. */
  met: number[];
  episodes: number;
  /** Episodes in which some step met every threshold (factor 1). */
  episodesAllMet: number;
  /** Episodes ended by reaching doneFactor x every threshold. */
  episodesDone: number;
  /**
   * The paper's done_record (authors' Trainer.train): a success is a step that reaches
   * doneFactor x every threshold at a composition not found before; a failure is a step into an
   * illegal or non-glass composition. SR_done = successes / (successes + failures).
   */
  doneSuccesses: number;
  doneFailures: number;
  predictions: number;
}

export function emptyStats(objectives: number): EnvStats {
  return { steps: 0, legal: 0, classified: 0, met: new Array(objectives).fill(0), episodes: 0, episodesAllMet: 0, episodesDone: 0, doneSuccesses: 0, doneFailures: 0, predictions: 0 };
}

export interface SuccessRates {
  /** Legal steps / steps. */
  srLegal: number;
  /** P(glass) >= 0.5 / legal steps. */
  srCls: number;
  /** Per objective: prediction >= threshold / classified steps. */
  sr80: number[];
  /** The paper's SR_done: successful ends / all ends (see EnvStats.doneSuccesses). */
  srDone: number;
  /** Share of episodes (of maxSteps or ended earlier) in which some step met every threshold. */
  srEpisodes: number;
}

/** The paper's success rates from the counts. */
export function successRates(s: EnvStats): SuccessRates {
  const ends = s.doneSuccesses + s.doneFailures;
  return {
    srLegal: s.steps ? s.legal / s.steps : 0,
    srCls: s.legal ? s.classified / s.legal : 0,
    sr80: s.met.map((m) => (s.classified ? m / s.classified : 0)),
    srDone: ends ? s.doneSuccesses / ends : 0,
    srEpisodes: s.episodes ? s.episodesAllMet / s.episodes : 0,
  };
}
