/**
 * npm run bench:faults [-- --runs N --seed S --only "broker restart,fuzz"]: the fault scenarios
 * and the fuzzers of test/integration/{faults,fuzz}.test.ts (the same code, test/support/), with
 * more fuzz cases (default 2000 per property), and their figures: cases tried, failures found,
 * messages lost, per scenario. Needs the machine's PostgreSQL, Redis and Mosquitto (never stopped:
 * the scenarios start their own servers to break) and builds dist/ when it is stale.
 */
import { parseArgs } from 'node:util';
import { FAULT_SCENARIOS, type ScenarioResult } from '../test/support/faults.js';
import { ATTACK_PROPERTIES, fuzzScenario } from '../test/support/fuzz.js';
import { ensureBuilt } from '../test/support/processes.js';

const { values: args } = parseArgs({
  options: { runs: { type: 'string', default: '2000' }, seed: { type: 'string' }, only: { type: 'string' } },
});
const only = args.only ? new Set(args.only.split(',').map((s) => s.trim())) : null;
const log = (m: string) => console.error(`[bench:faults] ${m}`);

async function main(): Promise<void> {
  const started = Date.now();
  ensureBuilt(log);
  const results: ScenarioResult[] = [];
  for (const [name, run] of Object.entries(FAULT_SCENARIOS)) {
    if (only && !only.has(name)) continue;
    log(`${name}...`);
    const r = await run();
    results.push(r);
    log(`${name}: ${r.failures.length === 0 ? 'ok' : `${r.failures.length} failure(s)`} in ${r.figures.seconds} s`);
  }
  let fuzz: Awaited<ReturnType<typeof fuzzScenario>> | null = null;
  if (!only || only.has('fuzz')) {
    log(`fuzz (${args.runs} cases per property)...`);
    fuzz = await fuzzScenario({ runs: Number(args.runs), seed: args.seed ? Number(args.seed) : undefined });
    results.push(fuzz);
  }

  console.log('\n== bench:faults ==');
  console.log('scenario                               cases  failures  messages lost  figures');
  for (const r of results) {
    const figures = Object.entries(r.figures).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`${r.name.padEnd(38)} ${String(r.checks).padStart(5)}  ${String(r.failures.length).padStart(8)}  ${String(r.messagesLost).padStart(13)}  ${figures}`);
  }
  if (fuzz) {
    console.log('fuzz properties:');
    for (const [name, p] of Object.entries(fuzz.perProperty)) console.log(`  ${name}: ${p.cases} cases, ${p.failures} failures  ${p.statuses}`);
    const attacks = ATTACK_PROPERTIES.map((name) => fuzz!.perProperty[name]).filter(Boolean);
    const tried = attacks.reduce((s, p) => s + p.cases, 0);
    const held = tried - attacks.reduce((s, p) => s + p.failures, 0);
    console.log(`attacks (hostile import documents, replay payloads): ${tried} tried, ${held} held`);
  }
  const cases = results.reduce((s, r) => s + r.checks, 0);
  const failures = results.flatMap((r) => r.failures.map((f) => `${r.name}: ${f}`));
  const lost = results.reduce((s, r) => s + r.messagesLost, 0);
  console.log(`\ncases tried: ${cases}`);
  console.log(`failures found: ${failures.length}`);
  console.log(`messages lost: ${lost}`);
  console.log(`time: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const f of failures) console.log(`  FAILURE ${f.slice(0, 2000)}`);
  process.exitCode = failures.length > 0 || lost > 0 ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
