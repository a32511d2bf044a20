/**
 * Campaign lifecycle: draft -> running <-> paused -> completed | aborted.
 * One table says which action is legal from which state, so the API can refuse the rest with
 * the reason.
 */
export type CampaignState = 'draft' | 'running' | 'paused' | 'completed' | 'aborted';
export type CampaignAction = 'start' | 'pause' | 'resume' | 'complete' | 'abort';

const TRANSITIONS: Record<CampaignAction, { from: CampaignState[]; to: CampaignState }> = {
  start: { from: ['draft'], to: 'running' },
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused'], to: 'running' },
  complete: { from: ['running', 'paused'], to: 'completed' },
  abort: { from: ['draft', 'running', 'paused'], to: 'aborted' },
};

export const CAMPAIGN_ACTIONS = Object.keys(TRANSITIONS) as CampaignAction[];

export type TransitionResult = { ok: true; to: CampaignState } | { ok: false; reason: string };

export function campaignTransition(from: CampaignState, action: CampaignAction): TransitionResult {
  const rule = TRANSITIONS[action];
  if (rule.from.includes(from)) return { ok: true, to: rule.to };
  const terminal = from === 'completed' || from === 'aborted';
  return {
    ok: false,
    reason: terminal
      ? `cannot ${action} a campaign that is ${from}: ${from} is final`
      : `cannot ${action} a campaign that is ${from}; ${action} is allowed only from ${rule.from.join(' or ')}`,
  };
}

/** Actions legal from a state (shown in the API so clients know what they may do next). */
export function allowedActions(state: CampaignState): CampaignAction[] {
  return CAMPAIGN_ACTIONS.filter((a) => TRANSITIONS[a].from.includes(state));
}
