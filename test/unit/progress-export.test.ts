import { describe, expect, it } from 'vitest';
import { csvCell, csvLine, experimentView, measurementView } from '../../src/services/progress/export.service.js';

const objectives = { requireGlass: true, targets: [{ property: 'yieldStrengthMPa' as const, threshold: 1800, weight: 1 }] };

describe('export helpers', () => {
  it('quote CSV cells that need it; objects as JSON, arrays joined', () => {
    expect(csvCell(null)).toBe('');
    expect(csvCell(12.5)).toBe('12.5');
    expect(csvCell('Zr65Cu35')).toBe('Zr65Cu35');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"\nbye')).toBe('"say ""hi""\nbye"');
    expect(csvCell({ Zr: 65, Cu: 35 })).toBe('"{""Zr"":65,""Cu"":35}"');
    expect(csvCell(['outside_design_space', 'deviation'])).toBe('outside_design_space;deviation');
    expect(csvLine([1, 'x', true, null])).toBe('1,x,true,\n');
  });

  it('mark measurements and experiments with the success rule', () => {
    const row = {
      id: 'm1', campaign_id: 'c', experiment_id: 'e1', experiment_sequence: 3, source: 'technician', instrument_id: null, job_id: null,
      external_id: null, idempotency_key: null, name: null, composition: { Zr: 60, Cu: 40 }, formula: 'Zr60Cu40', elements: ['Cu', 'Zr'],
      phase: 'amorphous', is_glass: true, yield_strength_mpa: 1850, elongation_pct: null, extra: {}, composition_deviation: null, flags: [],
      measured_at: null, entered_by: 'tech.ann', revision: 2, supersedes_id: 'm0', is_current: true, created_at: new Date('2026-01-01T00:00:00Z'),
      raw: { vendor: 1 },
    };
    expect(measurementView(row, objectives, false)).toMatchObject({
      experimentSequence: 3, enteredBy: 'tech.ann', revision: 2, supersedesId: 'm0', meetsObjectives: true, createdAt: '2026-01-01T00:00:00.000Z',
    });
    expect(measurementView(row, objectives, false).raw).toBeUndefined();
    expect(measurementView({ ...row, is_glass: false }, objectives, true)).toMatchObject({ meetsObjectives: false, raw: { vendor: 1 } });
    const experiment = { id: 'e1', sequence: 3, batch_number: 1, status: 'proposed', composition: {}, created_at: null, updated_at: null, deadline: null };
    expect(experimentView(experiment, objectives)).toMatchObject({ measurement: null, meetsObjectives: null });
    expect(experimentView({ ...experiment, m_id: 'm1', m_is_glass: true, m_yield_strength_mpa: 1799, m_elongation_pct: 20 }, objectives)).toMatchObject({
      measurement: { id: 'm1', yieldStrengthMPa: 1799 }, meetsObjectives: false,
    });
  });
});
