import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, ENV_VARIABLES, loadConfig } from '../../src/config/config.js';

describe('configuration', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const c = loadConfig({});
    expect(c.database.mode).toBe('embedded');
    expect(c.mqtt).toMatchObject({ mode: 'embedded', port: 1883, portExplicit: false, topicPrefix: 'aimd/v1' });
    expect(c.queue.mode).toBe('in-process');
    expect(c.knowledge.mode).toBe('offline');
    expect(c.http.port).toBe(3000);
  });

  it('switches to servers when their URLs are set', () => {
    const c = loadConfig({
      DATABASE_URL: 'postgres://u:p@db:5432/x',
      MQTT_URL: 'mqtt://broker:1883',
      REDIS_URL: 'redis://cache:6379',
      OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1',
    });
    expect(c.database).toMatchObject({ mode: 'server', url: 'postgres://u:p@db:5432/x' });
    expect(c.mqtt.mode).toBe('server');
    expect(c.queue.mode).toBe('redis');
    expect(c.knowledge).toMatchObject({ mode: 'llm', baseUrl: 'http://127.0.0.1:8000/v1' });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT="eighty"'],
    [{ PORT: '70000' }, 'PORT="70000"'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL="mysql://x": must be a URL starting with postgres://'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ MQTT_TOPIC_PREFIX: '/bad/' }, 'MQTT_TOPIC_PREFIX'],
    [{ SERVICE_ROLE: 'boss' }, 'SERVICE_ROLE'],
    [{ SWAGGER: 'maybe' }, 'SWAGGER'],
    [{ SERVICE_ROLE: 'worker' }, 'SERVICE_ROLE="worker": needs REDIS_URL'],
    [{ SERVICE_ROLE: 'api' }, 'SERVICE_ROLE="api": needs REDIS_URL'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
  ])('stops with a message naming the variable for %o', (env, fragment) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(fragment);
  });

  it('has every variable it reads in the README configuration table', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
    const documented = new Set([...section.matchAll(/^\|([^|]+)\|/gm)].flatMap((m) => [...m[1].matchAll(/`([A-Z_]+)`/g)].map((v) => v[1])));
    expect(ENV_VARIABLES.length).toBeGreaterThan(30);
    expect(ENV_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
  });
});
