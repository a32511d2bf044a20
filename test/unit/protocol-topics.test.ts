import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_PREFIX,
  InstrumentTopics,
  isValidInstrumentId,
  validateTopicPrefix,
} from '../../adapters/mqtt/protocol.js';

describe('instrument topics', () => {
  const topics = new InstrumentTopics();

  it('builds the four topics under the default prefix', () => {
    expect(topics.prefix).toBe(DEFAULT_TOPIC_PREFIX);
    expect(topics.status('rig3')).toBe('aimd/v1/instruments/rig3/status');
    expect(topics.jobs('rig3')).toBe('aimd/v1/instruments/rig3/jobs');
    expect(topics.events('rig3')).toBe('aimd/v1/instruments/rig3/events');
    expect(topics.results('rig3')).toBe('aimd/v1/instruments/rig3/results');
  });

  it('uses a configured prefix', () => {
    const custom = new InstrumentTopics('lab-2/aimd/v1');
    expect(custom.results('A_1')).toBe('lab-2/aimd/v1/instruments/A_1/results');
    expect(custom.filter('status')).toBe('lab-2/aimd/v1/instruments/+/status');
  });

  it('builds wildcard and shared-subscription filters', () => {
    expect(topics.filter('events')).toBe('aimd/v1/instruments/+/events');
    expect(topics.filter('results', { shareGroup: 'svc' })).toBe('$share/svc/aimd/v1/instruments/+/results');
    expect(() => topics.filter('results', { shareGroup: 'a/b' })).toThrow(/share group/);
    expect(() => topics.filter('results', { shareGroup: '' })).toThrow(/share group/);
  });

  it('validates instrument ids: 1-64 of [A-Za-z0-9_-]', () => {
    expect(isValidInstrumentId('a')).toBe(true);
    expect(isValidInstrumentId('Rig_3-b')).toBe(true);
    expect(isValidInstrumentId('x'.repeat(64))).toBe(true);
    expect(isValidInstrumentId('x'.repeat(65))).toBe(false);
    expect(isValidInstrumentId('')).toBe(false);
    for (const bad of ['rig 3', 'rig/3', 'rig+', 'rig#', 'rig.3', 'rïg']) expect(isValidInstrumentId(bad)).toBe(false);
    expect(() => topics.status('rig/3')).toThrow(/invalid instrumentId "rig\/3"/);
  });

  it('rejects prefixes with wildcards, empty levels or a leading $', () => {
    expect(validateTopicPrefix('aimd/v1')).toBeNull();
    expect(validateTopicPrefix('')).toMatch(/empty/);
    expect(validateTopicPrefix('aimd/+/v1')).toMatch(/wildcard/);
    expect(validateTopicPrefix('aimd/#')).toMatch(/wildcard/);
    expect(validateTopicPrefix('/aimd/v1')).toMatch(/empty level/);
    expect(validateTopicPrefix('aimd/v1/')).toMatch(/empty level/);
    expect(validateTopicPrefix('aimd//v1')).toMatch(/empty level/);
    expect(validateTopicPrefix('$SYS/aimd')).toMatch(/reserved/);
    expect(() => new InstrumentTopics('a/#')).toThrow(/wildcard/);
  });

  it('parses received topics into instrument and channel', () => {
    expect(topics.parse('aimd/v1/instruments/rig3/results')).toEqual({ ok: true, instrumentId: 'rig3', channel: 'results' });
    expect(topics.parse('aimd/v1/instruments/R-9_x/status')).toEqual({ ok: true, instrumentId: 'R-9_x', channel: 'status' });
  });

  it('explains why a topic is not an instrument topic', () => {
    const reason = (topic: string) => {
      const parsed = topics.parse(topic);
      expect(parsed.ok).toBe(false);
      return parsed.ok ? '' : parsed.reason;
    };
    expect(reason('aimd/v2/instruments/rig3/status')).toMatch(/not under "aimd\/v1\/instruments\/"/);
    expect(reason('aimd/v1/instrument/rig3/status')).toMatch(/not under/);
    expect(reason('aimd/v1/instruments/rig3')).toMatch(/must be aimd\/v1\/instruments\/\{instrumentId\}\/\{channel\}/);
    expect(reason('aimd/v1/instruments/rig3/results/extra')).toMatch(/must be/);
    expect(reason('aimd/v1/instruments/rig.3/results')).toMatch(/invalid instrumentId "rig.3"/);
    expect(reason(`aimd/v1/instruments/${'x'.repeat(65)}/results`)).toMatch(/invalid instrumentId/);
    expect(reason('aimd/v1/instruments//results')).toMatch(/invalid instrumentId ""/);
    expect(reason('aimd/v1/instruments/rig3/result')).toMatch(/unknown channel "result"/);
    expect(reason('aimd/v1/instruments/rig3/Status')).toMatch(/unknown channel "Status"/);
  });
});
