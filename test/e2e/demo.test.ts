import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDemoArgs, runDemo } from '../../scripts/demo.js';

/**
 * `npm run demo` in short: the whole closed loop on embedded defaults with the virtual lab, here
 * the data-grounded one (the truth interpolates the published measurements; the campaign is
 * seeded with published alloys of the space that miss the targets), over MQTT.
 */
describe('npm run demo (short)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'aimd-demo-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('parses its flags and documents them', () => {
    expect(parseDemoArgs(['--', '--help'])).toBe('help');
    expect(parseDemoArgs(['--budget', '12', '--strategy', 'genetic', '--no-bar'])).toMatchObject({ budget: 12, strategy: 'genetic', noBar: true, batch: 8 });
    expect(() => parseDemoArgs(['--budget', 'lots'])).toThrow(/--budget/);
    expect(parseDemoArgs([])).toMatchObject({ oracle: 'smooth' });
    expect(parseDemoArgs(['--oracle', 'data'])).toMatchObject({ oracle: 'data' });
    expect(() => parseDemoArgs(['--oracle', 'real'])).toThrow(/--oracle real: one of smooth, data/);
  });

  it('runs a campaign to its budget and writes the report, the plots and one experiment on the wire', async () => {
    const lines: string[] = [];
    const result = await runDemo(
      {
        budget: 8,
        batch: 4,
        strategy: 'aimatdesign',
        episodes: 4,
        seedAlloys: 24,
        oracle: 'data',
        faultRate: 0,
        out: path.join(dir, 'report'),
        dataDir: path.join(dir, 'data'),
        pgPort: 54395,
        timeoutMinutes: 4,
        noBar: true,
      },
      { line: (l) => lines.push(l), status: (l) => lines.push(l) },
    );
    const text = lines.join('\n');
    expect(result.ok, text).toBe(true);
    expect(result.status).toBe('completed');
    expect(result.completionReason).toContain('budget of 8 experiments reached');
    expect(result.experiments).toHaveLength(8);
    expect(result.measured).toBe(8);
    for (const name of ['report.md', 'experiments.csv', 'best-so-far.svg', 'best-so-far.png', 'pareto.svg', 'pareto.png', 'mqtt-one-experiment.md']) {
      const file = path.join(dir, 'report', name);
      expect(existsSync(file), name).toBe(true);
      expect(statSync(file).size, name).toBeGreaterThan(100);
    }
    expect(readFileSync(path.join(dir, 'report', 'pareto.svg'), 'utf8')).toContain('<svg');
    expect(readFileSync(path.join(dir, 'report', 'pareto.png')).subarray(1, 4).toString()).toBe('PNG');
    expect(readFileSync(path.join(dir, 'report', 'experiments.csv'), 'utf8').trim().split('\n')).toHaveLength(9);
    const md = readFileSync(path.join(dir, 'report', 'report.md'), 'utf8');
    expect(md).toContain('## Experiments');
    expect(md).toContain('### Best alloys');
    // the console report: the experiments table, the success rate, the best alloys
    expect(text).toMatch(/#\s+batch\s+formula\s+state/);
    expect(text).toContain('success rate:');
    expect(text).toContain('best alloys found:');
    expect(md).toContain('ground truth: simulators/data-oracle.ts (the published measurements)');
    expect(md).toMatch(/seed data: 38 published alloys of the space that miss the targets, 0 meeting the targets/);
    // one experiment as it went over MQTT: dispatch, accepted, started, progress, result
    const kinds = result.wire.map((m) => (m.topic.endsWith('/results') ? 'result' : JSON.parse(m.payload).type));
    expect(kinds[0]).toBe('job.dispatch');
    expect(kinds).toEqual(expect.arrayContaining(['job.accepted', 'job.started', 'job.progress', 'result']));
    expect(result.wire[0].topic).toMatch(/^aimd\/v1\/instruments\/sim-\d\d\/jobs$/);
  }, 300_000);
});
