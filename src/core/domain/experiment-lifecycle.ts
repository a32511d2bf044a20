/**
 * One experiment's life, from proposal to result:
 *
 *   proposed -> (approved) -> queued -> dispatched -> accepted -> running -> measured
 *
 * with side exits rejected (by a PI), failed, timed_out, cancelled and abandoned. A retryable
 * failure, an instrument's rejection or a timeout sends the experiment back to queued for a new
 * dispatch (new job id) while attempts remain. A result is data whenever it arrives: a late
 * result still closes an experiment that had timed out, failed or been abandoned. Cancelled is
 * the PI's decision and final: a result for a cancelled experiment is stored and flagged
 * (CANCELLED_RESULT_FLAG), and the experiment stays cancelled.
 */
export type ExperimentState =
  | 'proposed' | 'approved' | 'queued' | 'dispatched' | 'accepted' | 'running' | 'measured'
  | 'rejected' | 'failed' | 'timed_out' | 'cancelled' | 'abandoned';

const IN_FLIGHT: ExperimentState[] = ['dispatched', 'accepted', 'running'];
const LATE_RESULT_FROM: ExperimentState[] = ['queued', ...IN_FLIGHT, 'failed', 'timed_out', 'abandoned'];

const ALLOWED: Record<ExperimentState, ExperimentState[]> = {
  proposed: ['approved', 'queued', 'rejected', 'cancelled', 'abandoned'],
  approved: ['queued', 'cancelled', 'abandoned'],
  queued: ['dispatched', 'cancelled', 'abandoned', 'failed', 'measured'],
  dispatched: ['accepted', 'running', 'measured', 'queued', 'failed', 'timed_out', 'cancelled', 'abandoned'],
  accepted: ['running', 'measured', 'queued', 'failed', 'timed_out', 'cancelled', 'abandoned'],
  running: ['measured', 'queued', 'failed', 'timed_out', 'cancelled', 'abandoned'],
  measured: [],
  rejected: [],
  failed: ['measured'],
  timed_out: ['measured'],
  cancelled: [],
  abandoned: ['measured'],
};

export function canTransition(from: ExperimentState, to: ExperimentState): boolean {
  return ALLOWED[from].includes(to);
}

export function transitionProblem(from: ExperimentState, to: ExperimentState): string | null {
  if (canTransition(from, to)) return null;
  const next = ALLOWED[from];
  return next.length === 0
    ? `experiment is ${from}, which is final`
    : `experiment cannot go from ${from} to ${to} (from ${from} it can go to ${next.join(', ')})`;
}

export function isInFlight(state: ExperimentState): boolean {
  return IN_FLIGHT.includes(state);
}

/** States that still hold a place in the lab's work (proposed but not yet finished). */
export const OPEN_STATES: ExperimentState[] = ['proposed', 'approved', 'queued', 'dispatched', 'accepted', 'running'];
/** States whose experiments do not count against the budget (never consumed lab work). */
export const NOT_COUNTED: ExperimentState[] = ['rejected', 'cancelled'];
export const LATE_RESULT_STATES = LATE_RESULT_FROM;
/** The flag on a measurement that arrived for a cancelled experiment (stored, the experiment stays cancelled). */
export const CANCELLED_RESULT_FLAG = 'cancelled_experiment';
