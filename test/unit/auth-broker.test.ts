import { describe, expect, it } from 'vitest';
import { InstrumentTopics, MAX_PAYLOAD_BYTES } from '../../adapters/mqtt/protocol.js';
import { createBrokerSecurity, generateServiceCredential, instrumentMayPublish, instrumentMaySubscribe, type BrokerRefusal } from '../../src/services/auth/broker-security.js';
import { renderAclFile, renderPasswordFile } from '../../src/services/auth/mosquitto-files.js';
import { mosquittoHash, verifyMosquittoHash } from '../../src/common/secrets.js';

const topics = new InstrumentTopics('lab/v1');

describe('instrument topic rights', () => {
  it('publish: own status, events and results only', () => {
    expect(['status', 'events', 'results'].map((c) => instrumentMayPublish(topics, 'rig-1', `lab/v1/instruments/rig-1/${c}`))).toEqual([true, true, true]);
    for (const topic of ['lab/v1/instruments/rig-1/jobs', 'lab/v1/instruments/rig-2/results', 'lab/v1/instruments/rig-1/results/x', 'other/v1/instruments/rig-1/results', 'lab/v1/instruments/rig-10/status']) {
      expect(instrumentMayPublish(topics, 'rig-1', topic), topic).toBe(false);
    }
  });

  it('subscribe: its own jobs topic, no wildcards', () => {
    expect(instrumentMaySubscribe(topics, 'rig-1', 'lab/v1/instruments/rig-1/jobs')).toBe(true);
    for (const filter of ['lab/v1/instruments/+/jobs', 'lab/v1/#', '#', 'lab/v1/instruments/rig-1/#', 'lab/v1/instruments/rig-2/jobs', '$share/g/lab/v1/instruments/rig-1/jobs']) {
      expect(instrumentMaySubscribe(topics, 'rig-1', filter), filter).toBe(false);
    }
  });
});

describe('embedded broker security hooks', () => {
  const service = generateServiceCredential();
  const hash = mosquittoHash('rig-pass');
  const make = (enforce: boolean, refusals: BrokerRefusal[] = []) =>
    createBrokerSecurity({
      topicPrefix: 'lab/v1',
      enforce,
      service,
      verifyInstrument: async (id, password) => id === 'rig-1' && verifyMosquittoHash(password, hash),
      onRefused: (r) => refusals.push(r),
    });

  it('the service credential never looks like an instrument id', () => {
    expect(service.username).toMatch(/^aimd-service\.[0-9a-f]{8}$/);
    expect(service.password.length).toBeGreaterThanOrEqual(43);
  });

  it('authenticates the service and known instruments; rights follow the login of that client id', async () => {
    const refusals: BrokerRefusal[] = [];
    const s = make(true, refusals);
    expect(await s.authenticate!('c-svc', service.username, Buffer.from(service.password))).toBe(true);
    expect(await s.authenticate!('c-1', 'rig-1', Buffer.from('rig-pass'))).toBe(true);
    expect(await s.authenticate!('c-x', 'rig-1', Buffer.from('nope'))).toBe(false);
    expect(await s.authenticate!('c-y', service.username, Buffer.from('nope'))).toBe(false);
    expect(await s.authenticate!('c-z', undefined, undefined)).toBe(false);
    expect(await s.authenticate!('c-w', 'bad/id', Buffer.from('rig-pass'))).toBe(false);
    // a failed login with a taken client id does not strip the connected instrument of its rights
    expect(await s.authenticate!('c-1', 'rig-1', Buffer.from('wrong'))).toBe(false);
    expect(await s.authorizePublish!('c-1', 'lab/v1/instruments/rig-1/results', 10)).toBe(true);
    expect(await s.authorizePublish!('c-1', 'lab/v1/instruments/rig-2/results', 10)).toBe(false);
    expect(await s.authorizeSubscribe!('c-1', 'lab/v1/instruments/rig-1/jobs')).toBe(true);
    expect(await s.authorizeSubscribe!('c-1', 'lab/v1/instruments/+/jobs')).toBe(false);
    expect(await s.authorizePublish!('c-svc', 'lab/v1/instruments/rig-2/jobs', 10)).toBe(true);
    expect(await s.authorizeSubscribe!('c-svc', '$share/aimd/lab/v1/instruments/+/results')).toBe(true);
    expect(await s.authorizePublish!('never-logged-in', 'lab/v1/instruments/rig-1/results', 10)).toBe(false);
    expect(await s.authorizePublish!('c-svc', 'lab/v1/instruments/rig-2/jobs', MAX_PAYLOAD_BYTES + 1)).toBe(false);
    expect(refusals.map((r) => `${r.action} ${r.who}: ${r.reason}`)).toEqual([
      'connect rig-1: unknown instrument or wrong password',
      `connect ${service.username}: wrong password`,
      'connect null: no username or password',
      'connect bad/id: unknown instrument or wrong password',
      'connect rig-1: unknown instrument or wrong password',
      "publish rig-1: not this instrument's topic",
      'subscribe rig-1: an instrument may subscribe only to its own jobs topic',
      "publish null: not this instrument's topic",
      `publish service: payload of ${MAX_PAYLOAD_BYTES + 1} bytes exceeds ${MAX_PAYLOAD_BYTES}`,
    ]);
  });

  it('with enforcement off only the payload limit holds', async () => {
    const s = make(false);
    expect(s.authenticate).toBeUndefined();
    expect(s.authorizeSubscribe).toBeUndefined();
    expect(await s.authorizePublish!('anyone', 'lab/v1/instruments/rig-2/results', MAX_PAYLOAD_BYTES)).toBe(true);
    expect(await s.authorizePublish!('anyone', 'lab/v1/instruments/rig-2/results', MAX_PAYLOAD_BYTES + 1)).toBe(false);
  });

  it("a worker's service login: accepted with the service's rights when registered, refused otherwise", async () => {
    const worker = generateServiceCredential();
    const registered = new Map([[worker.username, mosquittoHash(worker.password)]]);
    const refusals: BrokerRefusal[] = [];
    const s = createBrokerSecurity({
      topicPrefix: 'lab/v1',
      enforce: true,
      service,
      verifyInstrument: async () => false,
      verifyService: async (username, password) => registered.has(username) && verifyMosquittoHash(password, registered.get(username)!),
      onRefused: (r) => refusals.push(r),
    });
    expect(await s.authenticate!('c-worker', worker.username, Buffer.from(worker.password))).toBe(true);
    expect(await s.authorizePublish!('c-worker', 'lab/v1/instruments/rig-2/jobs', 10)).toBe(true);
    expect(await s.authenticate!('c-w2', worker.username, Buffer.from('nope'))).toBe(false);
    expect(await s.authenticate!('c-w3', 'aimd-service.00000000', Buffer.from(worker.password))).toBe(false);
    expect(refusals.map((r) => r.reason)).toEqual(['unknown service login or wrong password', 'unknown service login or wrong password']);
    // without a store of service logins (make() has none) only the process's own login is the service
    expect(await make(true).authenticate!('c-worker', worker.username, Buffer.from(worker.password))).toBe(false);
  });
});

describe('Mosquitto files', () => {
  it('password file: the service line then instruments by id; refuses names that would break the format', () => {
    const text = renderPasswordFile({
      topicPrefix: 'lab/v1',
      service: { username: 'svc', password: 'pw' },
      instruments: [{ instrumentId: 'rig-2', passwordHash: mosquittoHash('b') }, { instrumentId: 'rig-1', passwordHash: mosquittoHash('a') }],
    });
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['svc', 'rig-1', 'rig-2']);
    expect(verifyMosquittoHash('pw', lines[0].slice(4))).toBe(true);
    expect(() => renderPasswordFile({ topicPrefix: 'lab/v1', service: { username: 'a:b', password: 'x' }, instruments: [] })).toThrow();
    expect(() => renderPasswordFile({ topicPrefix: 'lab/v1', instruments: [{ instrumentId: 'rig-1', passwordHash: 'plain' }] })).toThrow();
  });

  it('ACL file: patterns per instrument (%u), everything under the prefix for the service', () => {
    expect(renderAclFile({ topicPrefix: 'lab/v1', service: { username: 'svc', password: 'x' } }).split('\n').filter((l) => l && !l.startsWith('#'))).toEqual([
      'pattern write lab/v1/instruments/%u/status',
      'pattern write lab/v1/instruments/%u/events',
      'pattern write lab/v1/instruments/%u/results',
      'pattern read lab/v1/instruments/%u/jobs',
      'user svc',
      'topic readwrite lab/v1/#',
    ]);
    expect(() => renderAclFile({ topicPrefix: 'lab/#' })).toThrow(/wildcard/);
  });
});
