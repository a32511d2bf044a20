import { describe, expect, it } from 'vitest';
import { RulesKnowledgeProvider, permutationImportance } from '../../src/core/knowledge/rules-provider.js';
import { Random } from '../../src/core/util/random.js';

describe('rule-based knowledge provider', () => {
  const provider = new RulesKnowledgeProvider({ knownGlasses: [{ Zr: 65, Cu: 17.5, Ni: 10, Al: 7.5 }] });

  it('scores a classic Zr glass high and a binary solid solution low, naming the rules', async () => {
    const [good, bad] = await provider.score([{ composition: { Zr: 41.2, Ti: 13.8, Cu: 12.5, Ni: 10, Be: 22.5 } }, { composition: { Zr: 70, Ti: 30 } }]);
    expect(good.score).toBeGreaterThan(0.6);
    expect(good.rules).toEqual(expect.arrayContaining(['multicomponent', 'sizeMismatch', 'negativeMixing', 'etmLtmBalance']));
    expect(good.explanation).toMatch(/delta 14\.0 % > 12 %/);
    expect(bad.score).toBeLessThan(-0.5);
    expect(bad.explanation).toMatch(/only 2 elements/);
    for (const s of [good, bad]) expect(Math.abs(s.score)).toBeLessThanOrEqual(1);
  });

  it('rewards closeness to a known glass', async () => {
    const [near] = await provider.score([{ composition: { Zr: 64, Cu: 18.5, Ni: 10, Al: 7.5 } }]);
    expect(near.rules).toContain('nearKnownGlass');
  });

  it('selects features by permutation importance on rollout data', async () => {
    const rng = new Random(2);
    const rows = Array.from({ length: 200 }, () => [rng.normal(), rng.normal(), rng.normal(), rng.normal()]);
    const target = rows.map((r) => 3 * r[2] - 1 * r[3] + 0.1 * rng.normal());
    const imp = permutationImportance(rows, target, new Random(1));
    expect(imp[2]).toBeGreaterThan(imp[3]);
    expect(imp[3]).toBeGreaterThan(imp[0]);
    const sel = await provider.selectFeatures({ candidates: ['a', 'b', 'c', 'd'], current: ['a'], maxFeatures: 2, rows, target });
    expect(sel.features).toEqual(['c', 'd']);
    expect(sel.rationale).toMatch(/permutation importance/);
  });
});
