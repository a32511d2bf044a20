import { describe, expect, it, vi } from 'vitest';
import { enabledLevels, serviceLogger } from '../../src/config/logger.js';

/** LOG_LEVEL and LOG_FORMAT on the logger the service installs (what it writes to stdout/stderr). */
describe('service logger', () => {
  function capture(fn: () => void): string {
    let out = '';
    const write = (chunk: string | Uint8Array) => ((out += chunk.toString()), true);
    const o = vi.spyOn(process.stdout, 'write').mockImplementation(write);
    const e = vi.spyOn(process.stderr, 'write').mockImplementation(write);
    try {
      fn();
    } finally {
      o.mockRestore();
      e.mockRestore();
    }
    return out;
  }

  it('LOG_LEVEL keeps that level and the more severe ones', () => {
    expect(enabledLevels('error')).toEqual(['fatal', 'error']);
    expect(enabledLevels('warn')).toEqual(['fatal', 'error', 'warn']);
    expect(enabledLevels('verbose')).toEqual(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']);
    const out = capture(() => {
      const logger = serviceLogger({ level: 'warn', format: 'text' }, { isTTY: false });
      logger.log('quiet line', 'T');
      logger.debug('debug line', 'T');
      logger.warn('loud line', 'T');
    });
    expect(out).toMatch(/loud line/);
    expect(out).not.toMatch(/quiet line|debug line/);
  });

  it('writes no colour codes when stdout is not a terminal, and colours on one', () => {
    const piped = capture(() => serviceLogger({ level: 'log', format: 'text' }, { isTTY: false }).log('hello', 'T'));
    expect(piped).toMatch(/hello/);
    expect(piped).not.toMatch(/\x1b\[/);
    const noColor = process.env.NO_COLOR;
    delete process.env.NO_COLOR;
    try {
      const tty = capture(() => serviceLogger({ level: 'log', format: 'text' }, { isTTY: true }).log('hello', 'T'));
      expect(tty).toMatch(/\x1b\[/);
    } finally {
      if (noColor !== undefined) process.env.NO_COLOR = noColor;
    }
  });

  it('LOG_FORMAT=json writes one JSON object per line', () => {
    const out = capture(() => {
      const logger = serviceLogger({ level: 'log', format: 'json' }, { isTTY: true });
      logger.log('first', 'Ctx');
      logger.error('second', undefined, 'Ctx');
    });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ level: 'log', context: 'Ctx', message: 'first' }),
      expect.objectContaining({ level: 'error', context: 'Ctx', message: 'second' }),
    ]);
  });
});
