import { describe, expect, it } from 'vitest';
import { familyOf } from '../../src/core/knowledge/families.js';
import { scoreSystem } from '../../src/core/knowledge/llm-provider.js';
import { RulesKnowledgeProvider } from '../../src/core/knowledge/rules-provider.js';

describe('alloy families', () => {
  it('are stated or chosen from the design space', () => {
    expect(familyOf({ elements: ['Zr', 'Cu', 'Ni', 'Al'], baseElement: 'Zr' })).toBe('zr-bmg');
    expect(familyOf({ elements: ['Co', 'Cr', 'Fe', 'Ni', 'Al'], bounds: { Co: { min: 0, max: 35 }, Cr: { min: 0, max: 30 }, Fe: { min: 0, max: 30 }, Ni: { min: 0, max: 30 }, Al: { min: 0, max: 20 } } })).toBe('hea');
    // Ni-based with Cr and Fe but a Zr base: still a glass space
    expect(familyOf({ elements: ['Zr', 'Ni', 'Cr', 'Fe'], baseElement: 'Zr' })).toBe('zr-bmg');
    expect(familyOf({ elements: ['Zr', 'Cu', 'Ni', 'Al'], baseElement: 'Zr', family: 'hea' })).toBe('hea');
  });

  it('score with their own rules and prompt', async () => {
    const hea = new RulesKnowledgeProvider({ family: 'hea' });
    const glass = new RulesKnowledgeProvider();
    const [cantor, zrGlass] = await hea.score([{ composition: { Co: 20, Cr: 20, Fe: 20, Ni: 20, Al: 10, Ti: 10 } }, { composition: { Zr: 60, Cu: 25, Al: 15 } }]);
    expect(cantor.rules).toEqual(expect.arrayContaining(['multiPrincipal', 'hmixWindow', 'vecPhase']));
    expect(cantor.score).toBeGreaterThan(zrGlass.score); // three elements, 60 % Zr: no HEA
    const [asGlass] = await glass.score([{ composition: { Zr: 60, Cu: 25, Al: 15 } }]);
    expect(asGlass.rules).toContain('negativeMixing');
    expect(scoreSystem('hea')).toContain('high-entropy alloys');
    expect(scoreSystem('hea')).not.toContain('etmLtmBalance');
    expect(scoreSystem('zr-bmg')).toContain('Zr-based bulk metallic glasses');
  });
});
