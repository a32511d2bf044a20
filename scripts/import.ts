/**
 * Import seed measurements from a CSV/JSON file and print how many rows were kept and rejected.
 *
 *   npm run import -- ../shared/data/aimatdesign/ALL_data_grouped_processed.csv            (check only)
 *   npm run import -- FILE --campaign <id> [--strict] [--idempotency-key K]                (store)
 *
 * Without --campaign the file is parsed and validated only. With it, rows go into the campaign in
 * the configured database (DATABASE_URL, or the embedded PostgreSQL under DATA_DIR).
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { parseSeedData } from '../src/services/campaigns/seed-import.js';

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      campaign: { type: 'string' },
      strict: { type: 'boolean', default: false },
      format: { type: 'string' },
      'idempotency-key': { type: 'string' },
      'show-problems': { type: 'string', default: '20' },
    },
  });
  const file = positionals[0];
  if (!file) {
    console.error('usage: npm run import -- FILE [--campaign ID] [--strict] [--format csv|json] [--idempotency-key KEY]');
    process.exit(2);
  }
  const text = readFileSync(file, 'utf8');
  const format = values.format as 'csv' | 'json' | undefined;
  const showProblems = Number(values['show-problems']);

  if (!values.campaign) {
    const parsed = parseSeedData(text, { format });
    printSummary(file, parsed.alloys.length, parsed.problems, showProblems, 'checked (nothing stored; pass --campaign ID to store)');
    const glass = parsed.alloys.filter((a) => a.isGlass === true).length;
    const withYield = parsed.alloys.filter((a) => a.yieldStrengthMPa !== null).length;
    const withElong = parsed.alloys.filter((a) => a.elongationPct !== null).length;
    console.log(`  of the kept rows: ${glass} glass formers, ${withYield} with yield strength, ${withElong} with elongation`);
    return;
  }

  const [{ startInfrastructure }, { AuditService }, { CampaignEvents }, { CampaignsService }, repositories] = await Promise.all([
    import('../src/apps/infrastructure.js'),
    import('../src/services/campaigns/audit.service.js'),
    import('../src/services/campaigns/campaign-events.js'),
    import('../src/services/campaigns/campaigns.service.js'),
    import('../src/repositories/index.js'),
  ]);
  const config = loadConfig();
  const infra = await startInfrastructure({ ...config, mqtt: { ...config.mqtt, ...(config.mqtt.mode === 'embedded' ? { port: 0 } : {}) } });
  try {
    const ds = infra.dataSource;
    const campaigns = new CampaignsService(
      new repositories.Database(ds), new repositories.CampaignRepository(ds), new repositories.ExperimentRepository(ds), new repositories.MeasurementRepository(ds),
      new repositories.RejectedMessageRepository(ds), new AuditService(new repositories.AuditRepository(ds)), new CampaignEvents(), config,
    );
    const result = await campaigns.importMeasurements(
      values.campaign,
      text,
      { format, strict: values.strict, idempotencyKey: values['idempotency-key'] },
      'cli-import',
    );
    printSummary(file, result.kept, result.problems, showProblems, `stored in campaign ${values.campaign}`);
    if (result.duplicates > 0) console.log(`  ${result.duplicates} rows were already imported with this idempotency key`);
    console.log(`  ${result.outsideDesignSpace} kept rows lie outside the campaign's design space (flagged)`);
  } catch (error) {
    const response = (error as { getResponse?: () => { message: string; problems?: { row: number; reason: string }[] } }).getResponse?.();
    if (!response) throw error;
    printSummary(file, 0, response.problems ?? [], showProblems, `refused: ${response.message}`);
    process.exitCode = 1;
  } finally {
    await infra.close();
  }
}

function printSummary(file: string, kept: number, problems: { row: number; reason: string }[], show: number, outcome: string): void {
  console.log(`${file}: ${kept} rows kept, ${problems.length} rejected; ${outcome}`);
  for (const p of problems.slice(0, show)) console.log(`  row ${p.row}: ${p.reason}`);
  if (problems.length > show) console.log(`  ... and ${problems.length - show} more`);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
