import { Random } from '../../src/core/util/random.js';
import { VirtualInstrument, type VirtualInstrumentOptions } from '../../simulators/virtual-instrument.js';
import { uniqueName, type TestApp } from './services.js';
import { createOracle, DEMO_DESIGN_SPACE, demoCampaignFields, sampleSeedAlloys } from '../../simulators/oracle.js';
import { ZR9_DESIGN_SPACE } from '../../simulators/scenarios.js';

/** Shared by the closed-loop and restart tests: the demo campaign, its seed rows, polling. */
export const oracle = createOracle(11);

export function demoCampaign(overrides: Record<string, unknown> = {}) {
  return {
    name: 'closed loop',
    ...demoCampaignFields(),
    budget: 12,
    batchSize: 4,
    seed: 5,
    strategy: { method: 'random' },
    ...overrides,
  };
}

/** The Zr 9-element space of the data-grounded lab (simulators/scenarios.ts) as a campaign request's designSpace. */
export function zr9DesignSpaceDto() {
  return {
    elements: ZR9_DESIGN_SPACE.elements.map((symbol) => ({ symbol, ...ZR9_DESIGN_SPACE.bounds[symbol] })),
    step: ZR9_DESIGN_SPACE.step,
    minElements: ZR9_DESIGN_SPACE.minElements,
    maxElements: ZR9_DESIGN_SPACE.maxElements,
    baseElement: ZR9_DESIGN_SPACE.baseElement,
  };
}

export function seedRows(count: number) {
  return sampleSeedAlloys(oracle, DEMO_DESIGN_SPACE, count, new Random(3)).map((a) => ({
    composition: a.composition,
    phase: a.isGlass ? 'amorphous' : 'crystalline',
    yieldStrengthMPa: a.yieldStrengthMPa,
    elongationPct: a.elongationPct,
  }));
}

export async function until<T>(what: string, check: () => Promise<T | false | null | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    // A request may be refused while the in-process design job holds the event loop: poll on.
    const v = await check().catch(() => false as const);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}


/** A started virtual instrument on the test app's broker (fast: a 6-hour job in ~11 ms), named `${name}_...`. */
export async function startRig(t: TestApp, name: string, options: Partial<VirtualInstrumentOptions> & Pick<VirtualInstrumentOptions, 'oracle'>): Promise<VirtualInstrument> {
  const rig = new VirtualInstrument({
    url: t.infra.broker.url,
    instrumentId: uniqueName(name),
    seed: 1,
    prefix: t.config.mqtt.topicPrefix,
    speed: 2_000_000,
    maxConcurrentJobs: 4,
    clientId: uniqueName(name),
    ...options,
  });
  await rig.start();
  return rig;
}
