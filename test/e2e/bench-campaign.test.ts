import { describe, expect, it } from 'vitest';
import { parseBenchArgs, runBenchmark } from '../../bench/campaign.js';
import { STRATEGIES } from '../../src/services/design/strategies.js';

/** `npm run bench:campaign -- --short`: every registered strategy on the data-grounded lab, scarce seeds. */
describe('npm run bench:campaign --short', () => {
  it('parses its flags', () => {
    expect(parseBenchArgs(['--', '--help'])).toBe('help');
    expect(parseBenchArgs([])).toMatchObject({ seeds: 5, budget: 48, batch: 8, episodes: null, oracles: ['data'], scenarios: ['scarce', 'literature'], spaces: ['zr9'] });
    expect(parseBenchArgs(['--short'])).toMatchObject({ seeds: 2, budget: 16, batch: 8, episodes: 10, short: true, scenarios: ['scarce'] });
    expect(parseBenchArgs(['--oracle', 'all', '--space', 'all'])).toMatchObject({ oracles: ['smooth', 'data'], spaces: ['hea', 'demo', 'zr9'] });
    expect(() => parseBenchArgs(['--strategies', 'magic'])).toThrow(/unknown strategy magic/);
    expect(() => parseBenchArgs(['--oracle', 'real'])).toThrow(/unknown oracle real/);
    expect(() => parseBenchArgs(['--trust-region', 'maybe'])).toThrow(/on or off/);
  });

  it('compares the strategies at equal budgets and prints one table per scenario', async () => {
    const progress: string[] = [];
    const options = parseBenchArgs(['--short']);
    if (options === 'help') throw new Error('unexpected');
    const strategies = ['aimatdesign', 'bo', 'genetic', 'random'].filter((s) => STRATEGIES[s]);
    expect(options.strategies).toEqual(strategies);
    const result = await runBenchmark(options, (l) => progress.push(l));
    expect(result.runs).toHaveLength(2 * strategies.length);
    for (const run of result.runs) {
      expect(run.seedAlloys).toBe(38);
      expect(run.measured).toBe(16);
      expect(run.batchMs).toHaveLength(2);
      expect(run.successRate).toBeGreaterThanOrEqual(0);
      expect(run.glassRate).toBeGreaterThanOrEqual(0);
      expect(run.glassRate).toBeLessThanOrEqual(1);
      expect(run.glassRate).toBeCloseTo(run.alloys.filter((a) => a.isGlass).length / 16);
    }
    expect(progress.filter((l) => /^\[\d+\/\d+\] data oracle, zr9 space, scarce seeds, seed \d \w+: success/.test(l))).toHaveLength(result.runs.length);
    expect(result.text).toContain('## data oracle, zr9 space, scarce seeds: targets glass, yield >= 1600, elongation >= 6; 38 seed alloys');
    expect(result.text).toMatch(/\| strategy\s+\| successes\s+\| first success \(#\)\s+\| success rate 9-16\s+\| glass rate/);
    for (const s of strategies) expect(result.text).toMatch(new RegExp(`\\| ${s}\\s+\\| \\d+\\.\\d ± \\d+\\.\\d`));
    expect(result.text).toContain('not over MQTT');
  }, 300_000);
});
