import { describe, expect, it } from 'vitest';
import { parseBenchArgs, runBenchmark } from '../../bench/campaign.js';

/** `npm run bench:campaign -- --short`: AIMatDesign, random and the genetic baseline on the oracle. */
describe('npm run bench:campaign --short', () => {
  it('parses its flags', () => {
    expect(parseBenchArgs(['--', '--help'])).toBe('help');
    expect(parseBenchArgs([])).toMatchObject({ seeds: 3, budget: 96, batch: 8, episodes: null, strategies: ['aimatdesign', 'random', 'genetic'] });
    expect(parseBenchArgs(['--short'])).toMatchObject({ seeds: 2, budget: 24, batch: 8, episodes: 10, short: true });
    expect(() => parseBenchArgs(['--strategies', 'magic'])).toThrow(/unknown strategy magic/);
  });

  it('compares the strategies at equal budgets and prints the table and the target line', async () => {
    const progress: string[] = [];
    const options = parseBenchArgs(['--short']);
    if (options === 'help') throw new Error('unexpected');
    const result = await runBenchmark(options, (l) => progress.push(l));
    expect(result.runs).toHaveLength(6);
    for (const run of result.runs) {
      expect(run.measured).toBe(24);
      expect(run.batchMs).toHaveLength(3);
      expect(run.successRate).toBeGreaterThanOrEqual(0);
      expect(run.successRate).toBeLessThanOrEqual(1);
    }
    expect(progress.filter((l) => /^\[\d\/6\] seed \d \w+: success/.test(l))).toHaveLength(6);
    expect(result.text).toMatch(/\| strategy\s+\| success rate\s+\| first success \(#\)\s+\| best yield MPa/);
    for (const s of ['aimatdesign', 'random', 'genetic']) expect(result.text).toMatch(new RegExp(`\\| ${s}\\s+\\| \\d+\\.\\d ± \\d+\\.\\d %`));
    expect(result.text).toMatch(/AIMatDesign success rate \/ random success rate = (\d+\.\d\dx|∞ \(random never succeeded\)) \(target >= 3x\)/);
    expect(result.text).toContain('not over MQTT');
  }, 240_000);
});
