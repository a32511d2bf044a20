/**
 * Runs the virtual laboratory against any broker:
 *
 *   npm run simulators -- --instruments 4 --speed 1000 --url mqtt://127.0.0.1:1883 \
 *     --prefix aimd/v1 --seed 1 --fault-rate 0.05
 *
 * Prints one numbered line per thing that happened (progress only with --verbose) and, on
 * Ctrl-C, stops every instrument cleanly and prints the counts.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_TOPIC_PREFIX } from '../adapters/mqtt/protocol.js';
import { startFleet } from './fleet.js';
import { createLabOracle, ORACLE_KINDS, ZR9_DESIGN_SPACE, type OracleKind } from './scenarios.js';
import type { InstrumentLogEntry, InstrumentLogKind } from './virtual-instrument.js';

const USAGE = `usage: npm run simulators -- [--instruments 4] [--speed 1000] [--url mqtt://127.0.0.1:1883]
       [--prefix ${DEFAULT_TOPIC_PREFIX}] [--seed 1] [--fault-rate 0.05] [--id-prefix sim]
       [--mqtt-version 4|5] [--username U --password P] [--oracle smooth|data] [--verbose]

--oracle: the lab's truth (default smooth: simulators/oracle.ts; data: simulators/data-oracle.ts,
the published measurements, read from ../shared/data/aimatdesign or AIMD_DATA_DIR; its instruments
stock the elements of the 9-element Zr space, Pd included).`;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function numberOption(value: string | undefined, name: string, fallback: number, check: (n: number) => boolean): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) fail(`invalid --${name} ${value}`);
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        instruments: { type: 'string' },
        speed: { type: 'string' },
        url: { type: 'string' },
        prefix: { type: 'string' },
        seed: { type: 'string' },
        'fault-rate': { type: 'string' },
        'id-prefix': { type: 'string' },
        'mqtt-version': { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        verbose: { type: 'boolean' },
        oracle: { type: 'string' },
        help: { type: 'boolean' },
      },
    });
  } catch (error) {
    fail((error as Error).message);
  }
  const args = parsed.values;
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const instruments = numberOption(args.instruments, 'instruments', 4, (n) => Number.isInteger(n) && n >= 1 && n <= 99);
  const speed = numberOption(args.speed, 'speed', 1000, (n) => n > 0);
  const seed = numberOption(args.seed, 'seed', 1, Number.isInteger);
  const faultRate = numberOption(args['fault-rate'], 'fault-rate', 0, (n) => n >= 0 && n <= 1);
  const version = args['mqtt-version'] === undefined ? undefined : numberOption(args['mqtt-version'], 'mqtt-version', 5, (n) => n === 4 || n === 5);
  const url = args.url ?? 'mqtt://127.0.0.1:1883';
  const prefix = args.prefix ?? DEFAULT_TOPIC_PREFIX;
  const oracleKind = (args.oracle ?? 'smooth') as OracleKind;
  if (!ORACLE_KINDS.includes(oracleKind)) fail(`invalid --oracle ${args.oracle}: one of ${ORACLE_KINDS.join(', ')}`);

  let line = 0;
  const counts = new Map<InstrumentLogKind, number>();
  const log = (entry: InstrumentLogEntry) => {
    counts.set(entry.kind, (counts.get(entry.kind) ?? 0) + 1);
    if (entry.kind === 'progress' && !args.verbose) return;
    line++;
    const parts = [`#${line}`, new Date().toISOString(), entry.instrumentId, entry.kind];
    if (entry.jobId) parts.push(`job=${entry.jobId}`);
    if (entry.detail) parts.push(entry.detail);
    console.log(parts.join(' '));
  };

  console.log(
    `virtual lab: ${instruments} instruments on ${url} under ${prefix}, speed x${speed}, seed ${seed}, fault rate ${faultRate}, ${oracleKind} oracle`,
  );
  let fleet;
  try {
    fleet = await startFleet({
      url,
      prefix,
      instruments,
      speed,
      seed,
      faultRate,
      oracle: createLabOracle(oracleKind, seed),
      ...(oracleKind === 'data' ? { elements: [...ZR9_DESIGN_SPACE.elements] } : {}),
      idPrefix: args['id-prefix'],
      instrument: { protocolVersion: version as 4 | 5 | undefined, username: args.username, password: args.password },
      log,
    });
  } catch (error) {
    console.error(`could not start the virtual lab: ${(error as Error).message}`);
    process.exit(1);
  }

  let stopping = false;
  process.on('SIGINT', () => {
    if (stopping) process.exit(130); // a second Ctrl-C does not wait
    stopping = true;
    console.log('stopping: publishing offline status and disconnecting ...');
    fleet.stop().then(
      () => {
        const summary = [...counts].map(([kind, n]) => `${kind}=${n}`).join(' ');
        console.log(`stopped after ${line} lines; counts: ${summary || 'nothing happened'}`);
        process.exit(0);
      },
      (error: Error) => {
        console.error(`unclean stop: ${error.message}`);
        process.exit(1);
      },
    );
  });
}

void main();
