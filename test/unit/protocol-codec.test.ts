import { describe, expect, it } from 'vitest';
import {
  decodeEvent,
  decodeInstrumentMessage,
  decodeJobMessage,
  decodeResult,
  decodeStatus,
  encodeEvent,
  encodeJobCancel,
  encodeJobDispatch,
  encodeResult,
  encodeStatus,
  InstrumentTopics,
  peekJobId,
  ProtocolEncodeError,
  utcTimestampProblem,
  type DecodeResult,
} from '../../adapters/mqtt/protocol.js';

// The examples of the protocol page, verbatim.
const STATUS = {
  state: 'online',
  at: '2026-11-25T10:00:00Z',
  capabilities: {
    stages: ['synthesis', 'mechanical_test'],
    elements: ['Zr', 'Cu', 'Al', 'Ni', 'Ti', 'Nb', 'Ag', 'Hf', 'Be', 'Co', 'Fe', 'Y'],
    maxConcurrentJobs: 2,
  },
};
const DISPATCH = {
  type: 'job.dispatch',
  jobId: '8f0c',
  experimentId: '1b2e',
  campaignId: '77aa',
  composition: { Zr: 62.5, Cu: 22.5, Al: 10, Ni: 5 },
  stages: ['synthesis', 'mechanical_test'],
  issuedAt: '2026-11-25T10:00:01Z',
  deadline: '2026-11-26T10:00:01Z',
};
const RESULT = {
  jobId: '8f0c',
  measurementId: 'rig3-000117',
  composition: { Zr: 62.4, Cu: 22.6, Al: 10, Ni: 5 },
  phase: 'amorphous',
  yieldStrengthMPa: 1700,
  elongationPct: 10.2,
  measuredAt: '2026-11-25T18:30:00Z',
  raw: { any: 'vendor data, stored verbatim' },
};
const AT = '2026-11-25T10:00:02.123Z';
const EVENTS = [
  { type: 'job.accepted', jobId: '8f0c', at: AT },
  { type: 'job.rejected', jobId: '8f0c', reason: 'element Be not stocked', at: AT },
  { type: 'job.started', jobId: '8f0c', stage: 'synthesis', at: AT },
  { type: 'job.progress', jobId: '8f0c', stage: 'mechanical_test', fraction: 0.5, at: AT },
  { type: 'job.failed', jobId: '8f0c', stage: 'synthesis', reason: 'crucible cracked', retryable: true, at: AT },
];

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const without = (value: Record<string, unknown>, key: string) => Object.fromEntries(Object.entries(value).filter(([k]) => k !== key));

/** The reason of a failed decode; fails the test if it decoded. */
function reasonOf(result: DecodeResult<unknown>): string {
  expect(result.ok, 'expected the decode to fail').toBe(false);
  return result.ok ? '' : result.reason;
}

describe('decoding: valid messages of every type', () => {
  it('status, including a bare offline last will', () => {
    expect(decodeStatus(json(STATUS))).toEqual({ ok: true, message: STATUS });
    for (const state of ['busy', 'error', 'offline']) expect(decodeStatus(json({ ...STATUS, state })).ok).toBe(true);
    expect(decodeStatus(json({ state: 'offline', at: '2026-11-25T10:00:00Z' })).ok).toBe(true);
    // protocol 1.3: what it can make, per process variable
    const process = { castingDiameterMm: { min: 1, max: 3 }, coolingMethod: { values: ['suction', 'water-quench'] } };
    const withProcess = { ...STATUS, capabilities: { ...STATUS.capabilities, process } };
    expect(decodeStatus(json(withProcess))).toEqual({ ok: true, message: withProcess });
  });

  it('job.dispatch and job.cancel', () => {
    expect(decodeJobMessage(json(DISPATCH))).toEqual({ ok: true, message: DISPATCH });
    expect(decodeJobMessage(json({ type: 'job.cancel', jobId: '8f0c' }))).toEqual({
      ok: true,
      message: { type: 'job.cancel', jobId: '8f0c' },
    });
  });

  it('every event type', () => {
    for (const event of EVENTS) expect(decodeEvent(json(event))).toEqual({ ok: true, message: event });
  });

  it('results, with raw kept verbatim (same object, odd keys included)', () => {
    expect(decodeResult(json(RESULT))).toEqual({ ok: true, message: RESULT });
    const raw = { nested: { curve: [1, 2, 3] }, ['__proto__']: { polluted: true } };
    const text = `{"jobId":"j","measurementId":"m","composition":{"Zr":100},"phase":"amorphous","yieldStrengthMPa":1,"elongationPct":0,"measuredAt":"2026-11-25T18:30:00Z","raw":{"nested":{"curve":[1,2,3]},"__proto__":{"polluted":true}}}`;
    const decoded = decodeResult(text);
    expect(decoded.ok).toBe(true);
    if (decoded.ok) {
      expect(JSON.stringify(decoded.message.raw)).toBe(JSON.stringify(JSON.parse(text).raw));
      expect(Object.hasOwn(decoded.message.raw!, '__proto__')).toBe(true);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
    void raw;
  });

  it('results without raw, and crystalline samples without mechanical values', () => {
    expect(decodeResult(json(without(RESULT, 'raw'))).ok).toBe(true);
    const crystalline = { ...RESULT, phase: 'crystalline', yieldStrengthMPa: null, elongationPct: null };
    expect(decodeResult(json(crystalline)).ok).toBe(true);
    expect(decodeResult(json({ ...RESULT, phase: 'partially_crystalline', elongationPct: 0 })).ok).toBe(true);
  });

  it('compositions within 0.05 of 100 and fractional seconds', () => {
    expect(decodeResult(json({ ...RESULT, composition: { Zr: 62.44, Cu: 22.6, Al: 10, Ni: 5 } })).ok).toBe(true);
    expect(decodeResult(json({ ...RESULT, composition: { Zr: 62.36, Cu: 22.6, Al: 10, Ni: 5 } })).ok).toBe(true);
    expect(decodeResult(json({ ...RESULT, measuredAt: '2026-11-25T18:30:00.123456Z' })).ok).toBe(true);
  });

  it('accepts a string payload as well as bytes', () => {
    expect(decodeStatus(JSON.stringify(STATUS)).ok).toBe(true);
  });
});

describe('decoding: malformed payloads', () => {
  it('names the problem with the bytes', () => {
    expect(reasonOf(decodeStatus(Buffer.alloc(0)))).toBe('empty payload');
    expect(reasonOf(decodeStatus(Buffer.from([0xff, 0xfe, 0x7b])))).toBe('payload is not valid UTF-8');
    expect(reasonOf(decodeStatus('{"state":'))).toMatch(/^invalid JSON: /);
    expect(reasonOf(decodeEvent('[1,2]'))).toBe('payload must be a JSON object, got an array');
    expect(reasonOf(decodeResult('null'))).toBe('payload must be a JSON object, got null');
    expect(reasonOf(decodeResult('"text"'))).toBe('payload must be a JSON object, got a string');
    expect(reasonOf(decodeResult('1700'))).toBe('payload must be a JSON object, got number 1700');
    expect(reasonOf(decodeStatus(Buffer.alloc(300 * 1024, 0x20)))).toMatch(/exceeds/);
  });
});

describe('decoding: status rejected with the field and constraint', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown state', { ...STATUS, state: 'idle' }, /state: expected one of online, busy, error, offline, got "idle"/],
    ['missing capabilities while online', without(STATUS, 'capabilities'), /capabilities: required when state is "online"/],
    ['unknown stage', { ...STATUS, capabilities: { ...STATUS.capabilities, stages: ['polishing'] } }, /capabilities\.stages\.0: expected one of synthesis, mechanical_test, got "polishing"/],
    ['no stages', { ...STATUS, capabilities: { ...STATUS.capabilities, stages: [] } }, /capabilities\.stages: must list at least one stage/],
    ['lower-case element', { ...STATUS, capabilities: { ...STATUS.capabilities, elements: ['zr'] } }, /capabilities\.elements\.0: "zr" is not an element symbol/],
    ['repeated element', { ...STATUS, capabilities: { ...STATUS.capabilities, elements: ['Zr', 'Zr'] } }, /capabilities\.elements: must not repeat an element/],
    ['fractional capacity', { ...STATUS, capabilities: { ...STATUS.capabilities, maxConcurrentJobs: 1.5 } }, /capabilities\.maxConcurrentJobs: must be an integer/],
    ['zero capacity', { ...STATUS, capabilities: { ...STATUS.capabilities, maxConcurrentJobs: 0 } }, /capabilities\.maxConcurrentJobs: must be >= 1/],
    ['capacity as text', { ...STATUS, capabilities: { ...STATUS.capabilities, maxConcurrentJobs: '2' } }, /capabilities\.maxConcurrentJobs: expected number, received string/],
    ['unknown field', { ...STATUS, firmware: '1.2' }, /unknown field "firmware"/],
    ['unknown capability', { ...STATUS, capabilities: { ...STATUS.capabilities, maxJobs: 2 } }, /capabilities: unknown field "maxJobs"/],
    ['process range upside down', { ...STATUS, capabilities: { ...STATUS.capabilities, process: { annealK: { min: 700, max: 500 } } } }, /capabilities\.process\.annealK: min must be <= max/],
    ['process support of neither shape', { ...STATUS, capabilities: { ...STATUS.capabilities, process: { annealK: { min: 500, values: ['a'] } } } }, /capabilities\.process\.annealK: unknown field "min"/],
    ['process values empty', { ...STATUS, capabilities: { ...STATUS.capabilities, process: { coolingMethod: { values: [] } } } }, /capabilities\.process\.coolingMethod/],
    ['missing time', without(STATUS, 'at'), /at: missing \(required\)/],
    ['time with an offset', { ...STATUS, at: '2026-11-25T11:00:00+01:00' }, /at: "2026-11-25T11:00:00\+01:00" is not UTC: use the "Z" designator/],
    ['local time', { ...STATUS, at: '2026-11-25T10:00:00' }, /is not UTC/],
    ['epoch number', { ...STATUS, at: 1764064800 }, /at: expected string, received number/],
  ];
  it.each(cases)('%s', (_name, message, reason) => {
    expect(reasonOf(decodeStatus(json(message)))).toMatch(reason);
  });
  it('prefixes the reason with the message kind', () => {
    expect(reasonOf(decodeStatus(json({ ...STATUS, state: 'idle' })))).toMatch(/^status: /);
  });
});

describe('decoding: jobs rejected with the field and constraint', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown type', { ...DISPATCH, type: 'job.pause' }, /^job message: unknown type "job.pause" \(expected job.dispatch or job.cancel\)/],
    ['missing type', without(DISPATCH, 'type'), /^job message: missing field "type"/],
    ['type of another channel', { ...DISPATCH, type: 'job.accepted' }, /unknown type "job.accepted"/],
    ['missing campaignId', without(DISPATCH, 'campaignId'), /^job.dispatch: campaignId: missing \(required\)/],
    ['empty jobId', { ...DISPATCH, jobId: '' }, /jobId: must not be empty/],
    ['jobId with a space', { ...DISPATCH, jobId: 'a b' }, /jobId: must be printable ASCII without spaces/],
    ['numeric jobId', { ...DISPATCH, jobId: 17 }, /jobId: expected string, received number/],
    ['composition not summing to 100', { ...DISPATCH, composition: { Zr: 62.5, Cu: 22.5, Al: 10, Ni: 4.9 } }, /composition: atomic percents sum to 99\.9, expected 100 ± 0\.05/],
    ['composition as fractions', { ...DISPATCH, composition: { Zr: 0.625, Cu: 0.225, Al: 0.1, Ni: 0.05 } }, /composition: atomic percents sum to 1, expected 100/],
    ['negative atomic percent', { ...DISPATCH, composition: { Zr: 105, Cu: -5 } }, /composition\.Zr: atomic percent must be <= 100; composition\.Cu: atomic percent must be >= 0/],
    ['unknown element', { ...DISPATCH, composition: { Zr: 62.5, Cu: 22.5, Al: 10, Xx: 5 } }, /composition\.Xx: "Xx" is not an element symbol/],
    ['percent as text', { ...DISPATCH, composition: { Zr: '62.5 at.%', Cu: 37.5 } }, /composition\.Zr: expected atomic percent as a number, got "62.5 at.%"/],
    ['empty composition', { ...DISPATCH, composition: {} }, /composition: composition has no elements/],
    ['unknown stage', { ...DISPATCH, stages: ['synthesis', 'xrd'] }, /stages\.1: expected one of synthesis, mechanical_test, got "xrd"/],
    ['repeated stage', { ...DISPATCH, stages: ['synthesis', 'synthesis'] }, /stages: must not repeat a stage/],
    ['deadline before issue', { ...DISPATCH, deadline: '2026-11-25T10:00:00Z' }, /deadline: must be later than issuedAt/],
    ['impossible date', { ...DISPATCH, issuedAt: '2026-02-30T10:00:01Z' }, /issuedAt: "2026-02-30T10:00:01Z" is not a valid calendar date and time/],
    ['hour 24', { ...DISPATCH, issuedAt: '2026-11-25T24:00:01Z' }, /is not a valid calendar date and time/],
    ['date only', { ...DISPATCH, deadline: '2026-11-26' }, /deadline: "2026-11-26" is not an ISO 8601 UTC timestamp/],
    ['unknown field', { ...DISPATCH, priority: 1 }, /unknown field "priority"/],
    ['cancel with extra field', { type: 'job.cancel', jobId: 'a', reason: 'x' }, /^job.cancel: unknown field "reason"/],
    ['cancel without jobId', { type: 'job.cancel' }, /^job.cancel: jobId: missing \(required\)/],
  ];
  it.each(cases)('%s', (_name, message, reason) => {
    expect(reasonOf(decodeJobMessage(json(message)))).toMatch(reason);
  });
});

describe('decoding: events rejected with the field and constraint', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['unknown type', { type: 'job.finished', jobId: 'a', at: AT }, /^event: unknown type "job.finished" \(expected job.accepted or job.rejected or job.started or job.progress or job.failed\)/],
    ['type not a string', { type: 7, jobId: 'a', at: AT }, /^event: unknown type number 7/],
    ['missing type', { jobId: 'a', at: AT }, /^event: missing field "type"/],
    ['rejected without reason', without(EVENTS[1], 'reason'), /^job.rejected: reason: missing \(required\)/],
    ['rejected with empty reason', { ...EVENTS[1], reason: '' }, /reason: must not be empty/],
    ['started without stage', without(EVENTS[2], 'stage'), /^job.started: stage: missing \(required\)/],
    ['progress as percentage', { ...EVENTS[3], fraction: 50 }, /^job.progress: fraction: must be <= 1 \(a fraction, not a percentage\)/],
    ['negative progress', { ...EVENTS[3], fraction: -0.1 }, /fraction: must be >= 0/],
    ['progress as text', { ...EVENTS[3], fraction: '0.5' }, /fraction: expected number, received string/],
    ['failed without retryable', without(EVENTS[4], 'retryable'), /^job.failed: retryable: missing \(required\)/],
    ['retryable as text', { ...EVENTS[4], retryable: 'yes' }, /retryable: expected boolean, received string/],
    ['failed without stage', without(EVENTS[4], 'stage'), /stage: missing \(required\)/],
    ['field of another event', { ...EVENTS[0], stage: 'synthesis' }, /^job.accepted: unknown field "stage"/],
    ['non-UTC time', { ...EVENTS[0], at: '2026-11-25T10:00:00-05:00' }, /at: .* is not UTC/],
  ];
  it.each(cases)('%s', (_name, message, reason) => {
    expect(reasonOf(decodeEvent(json(message)))).toMatch(reason);
  });
});

describe('decoding: results rejected with the field and constraint', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['composition off by 0.1', { ...RESULT, composition: { Zr: 62.5, Cu: 22.6, Al: 10, Ni: 5 } }, /^result: composition: atomic percents sum to 100\.1, expected 100 ± 0\.05/],
    ['yield in GPa (wrong field)', { ...without(RESULT, 'yieldStrengthMPa'), yieldStrengthGPa: 1.7 }, /yieldStrengthMPa: missing \(required\); unknown field "yieldStrengthGPa"/],
    ['yield in GPa (value)', { ...RESULT, yieldStrengthMPa: 0.17 }, /yieldStrengthMPa: must be >= 1 MPa/],
    ['yield with unit text', { ...RESULT, yieldStrengthMPa: '1700 MPa' }, /yieldStrengthMPa: expected a number in MPa or null, got "1700 MPa"/],
    ['absurd yield', { ...RESULT, yieldStrengthMPa: 170_000 }, /yieldStrengthMPa: must be <= 10000 MPa/],
    ['negative elongation', { ...RESULT, elongationPct: -1 }, /elongationPct: must be >= 0 %/],
    ['elongation over 100 %', { ...RESULT, elongationPct: 102 }, /elongationPct: must be <= 100 %/],
    ['null mechanics for a glass', { ...RESULT, yieldStrengthMPa: null }, /yieldStrengthMPa: may be null only for a crystalline sample \(phase is "amorphous"\)/],
    ['null elongation, partially crystalline', { ...RESULT, phase: 'partially_crystalline', elongationPct: null }, /elongationPct: may be null only for a crystalline sample/],
    ['missing mechanics', without(RESULT, 'elongationPct'), /elongationPct: missing \(required\)/],
    ['unknown phase', { ...RESULT, phase: 'glassy' }, /phase: expected one of amorphous, partially_crystalline, crystalline, got "glassy"/],
    ['measuredAt with offset', { ...RESULT, measuredAt: '2026-11-25T19:30:00+01:00' }, /measuredAt: .* is not UTC/],
    ['measuredAt garbage', { ...RESULT, measuredAt: 'yesterday' }, /measuredAt: "yesterday" is not an ISO 8601 UTC timestamp/],
    ['raw not an object', { ...RESULT, raw: [1, 2] }, /raw: must be a JSON object/],
    ['raw null', { ...RESULT, raw: null }, /raw: must be a JSON object/],
    ['missing measurementId', without(RESULT, 'measurementId'), /measurementId: missing \(required\)/],
    ['a type field', { ...RESULT, type: 'result' }, /unknown field "type"/],
  ];
  it.each(cases)('%s', (_name, message, reason) => {
    expect(reasonOf(decodeResult(json(message)))).toMatch(reason);
  });

  it('lists every problem, not just the first', () => {
    const reason = reasonOf(decodeResult(json({ ...RESULT, phase: 'glassy', measuredAt: 'now', elongationPct: -2 })));
    expect(reason).toMatch(/phase: /);
    expect(reason).toMatch(/elongationPct: /);
    expect(reason).toMatch(/measuredAt: /);
  });
});

describe('UTC timestamps', () => {
  it('accept Z times and reject everything else', () => {
    expect(utcTimestampProblem('2026-11-25T10:00:00Z')).toBeNull();
    expect(utcTimestampProblem('2028-02-29T23:59:59.999Z')).toBeNull();
    expect(utcTimestampProblem('2026-02-29T00:00:00Z')).toMatch(/not a valid calendar/);
    expect(utcTimestampProblem('2026-11-25T10:00:00z')).toMatch(/not an ISO 8601 UTC/);
    expect(utcTimestampProblem('2026-11-25 10:00:00Z')).toMatch(/not an ISO 8601 UTC/);
    expect(utcTimestampProblem('2026-11-25T10:00Z')).toMatch(/not an ISO 8601 UTC/);
    expect(utcTimestampProblem('2026-11-25T10:00:60Z')).toMatch(/not a valid calendar/);
    expect(utcTimestampProblem('2026-11-25T10:00:00+00:00')).toMatch(/not UTC/);
  });
});

describe('decodeInstrumentMessage', () => {
  const topics = new InstrumentTopics('aimd-test/v1');

  it('routes by channel', () => {
    const decoded = decodeInstrumentMessage(topics, 'aimd-test/v1/instruments/rig3/results', json(RESULT));
    expect(decoded).toEqual({ ok: true, message: { channel: 'results', instrumentId: 'rig3', message: RESULT } });
    const event = decodeInstrumentMessage(topics, 'aimd-test/v1/instruments/rig3/events', json(EVENTS[0]));
    expect(event.ok && event.message.channel).toBe('events');
  });

  it('keeps instrument and channel when only the payload is bad', () => {
    const decoded = decodeInstrumentMessage(topics, 'aimd-test/v1/instruments/rig3/results', json({ ...RESULT, phase: 'x' }));
    expect(decoded).toMatchObject({ ok: false, instrumentId: 'rig3', channel: 'results' });
    expect(decoded.ok ? '' : decoded.reason).toMatch(/^result: phase/);
  });

  it('rejects a payload on the wrong channel and a foreign topic', () => {
    const wrong = decodeInstrumentMessage(topics, 'aimd-test/v1/instruments/rig3/events', json(RESULT));
    expect(wrong.ok ? '' : wrong.reason).toMatch(/missing field "type"/);
    const foreign = decodeInstrumentMessage(topics, 'other/instruments/rig3/events', json(EVENTS[0]));
    expect(foreign).toEqual({ ok: false, reason: expect.stringMatching(/not under/) });
  });
});

describe('peekJobId', () => {
  it('finds a well-formed jobId in an otherwise invalid message', () => {
    expect(peekJobId(json({ ...RESULT, phase: 'x' }))).toBe('8f0c');
    expect(peekJobId(json({ jobId: 'a b' }))).toBeNull();
    expect(peekJobId('not json')).toBeNull();
  });
});

describe('encoding', () => {
  it('round-trips every message the two sides send', () => {
    const dispatch = JSON.parse(encodeJobDispatch(without(DISPATCH, 'type') as never));
    expect(dispatch).toEqual(DISPATCH);
    expect(JSON.parse(encodeJobCancel('8f0c'))).toEqual({ type: 'job.cancel', jobId: '8f0c' });
    expect(decodeStatus(encodeStatus(STATUS as never))).toEqual({ ok: true, message: STATUS });
    for (const event of EVENTS) expect(decodeEvent(encodeEvent(event as never))).toEqual({ ok: true, message: event });
    expect(decodeResult(encodeResult(RESULT as never))).toEqual({ ok: true, message: RESULT });
  });

  it('refuses to send an invalid message, with the reason', () => {
    expect(() => encodeJobDispatch({ ...DISPATCH, composition: { Zr: 50 } } as never)).toThrow(ProtocolEncodeError);
    expect(() => encodeJobDispatch({ ...DISPATCH, composition: { Zr: 50 } } as never)).toThrow(/composition: atomic percents sum to 50/);
    expect(() => encodeJobCancel('')).toThrow(/jobId: must not be empty/);
    expect(() => encodeEvent({ ...EVENTS[3], fraction: 2 } as never)).toThrow(/fraction/);
    expect(() => encodeStatus({ state: 'online', at: new Date().toISOString() } as never)).toThrow(/capabilities/);
  });
});

describe('protocol 1.2: process values', () => {
  const PROCESS = { castingDiameterMm: 2.5, coolingMethod: 'suction' };

  it('a dispatch and a result may carry process values; the 1.0 forms without them stay valid', () => {
    expect(decodeJobMessage(json({ ...DISPATCH, process: PROCESS }))).toEqual({ ok: true, message: { ...DISPATCH, process: PROCESS } });
    expect(decodeResult(json({ ...RESULT, process: PROCESS }))).toEqual({ ok: true, message: { ...RESULT, process: PROCESS } });
    expect(decodeJobMessage(json(DISPATCH)).ok).toBe(true);
    expect(decodeResult(json(RESULT)).ok).toBe(true);
    expect(JSON.parse(encodeJobDispatch({ ...without(DISPATCH, 'type'), process: PROCESS } as never))).toEqual({ ...DISPATCH, process: PROCESS });
  });

  it('rejects malformed process values with the field and the constraint', () => {
    expect(reasonOf(decodeJobMessage(json({ ...DISPATCH, process: { coolingMethod: ['a'] } })))).toMatch(/process\.coolingMethod: expected a number or a string/);
    expect(reasonOf(decodeResult(json({ ...RESULT, process: { '1bad': 2 } })))).toMatch(/process variable names are 1-64 letters/);
    expect(reasonOf(decodeResult(json({ ...RESULT, process: { coolingMethod: '' } })))).toMatch(/1-64 printable characters/);
    expect(reasonOf(decodeResult(json({ ...RESULT, process: [1] })))).toMatch(/process/);
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`p${i}`, i]));
    expect(reasonOf(decodeJobMessage(json({ ...DISPATCH, process: many })))).toMatch(/at most 16 process values/);
  });
});
