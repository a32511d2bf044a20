import { Body, Controller, Get, Header, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse, ApiBody, ApiCreatedResponse, ApiExcludeController, ApiHeader, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam,
  ApiProduces, ApiQuery, ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeysService } from '../services/auth/api-keys.service.js';
import { extractToken, type AuthenticatedRequest } from './auth.guard.js';
import { Actor } from './actor.js';
import { Invalid } from '../common/errors.js';
import { sendJsonOnce } from './json-once.js';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard-page.js';
import { ExportService, csvLine, experimentCsvColumns, experimentCsvRow, objectiveColumns } from '../services/progress/export.service.js';
import { normaliseObjectives } from '../core/domain/objectives.js';
import { LiveFeed } from '../services/progress/live-feed.service.js';
import { PLOT_FORMATS, PLOT_KINDS, renderPlot, type PlotFormat, type PlotKind } from '../services/progress/plots.js';
import { ProgressService } from '../services/progress/progress.service.js';

const ID = new ParseUUIDPipe({ version: undefined });
const EXPORTS = ['measurements.csv', 'measurements.json', 'experiments.csv', 'experiments.json', 'campaign.json'] as const;

/** Write to a response, waiting when the socket's buffer is full. */
function writer(res: Response) {
  return (chunk: string) =>
    new Promise<void>((resolve) => {
      if (res.write(chunk)) resolve();
      else res.once('drain', () => resolve());
    });
}

@ApiTags('progress')
@Controller('api/v1/campaigns')
export class ProgressController {
  constructor(
    @Inject(ProgressService) private readonly progress: ProgressService,
    @Inject(LiveFeed) private readonly feed: LiveFeed,
    @Inject(ExportService) private readonly exports: ExportService,
    @Inject(ApiKeysService) private readonly keys: ApiKeysService,
  ) {}

  @Get(':id/progress')
  @ApiOperation({
    summary: 'Campaign progress for PIs',
    description:
      'Experiments by state; measured count vs budget; success rate (measured alloys meeting every objective) overall and per batch; ' +
      'best so far per objective with its history by experiment number; Pareto front of yield strength vs elongation among glass ' +
      'formers and its hypervolume beyond the reference point = the target thresholds (0 where a property has no target); objectiveFront: ' +
      'the Pareto front and hypervolume over all the objectives (two or more), each oriented by its direction; surrogate ' +
      'CV quality per model version; agent training curves; refinement events; instrument utilisation and throughput; time to budget.',
  })
  @ApiOkResponse({ description: 'the progress report (src/progress/progress.types.ts: ProgressReport)', schema: { type: 'object', additionalProperties: true } })
  @ApiNotFoundResponse()
  async report(@Param('id', ID) id: string, @Res() res: Response): Promise<void> {
    sendJsonOnce(res, await this.progress.cachedReport(id));
  }

  @Get(':id/events')
  @ApiOperation({
    summary: 'Live feed (server-sent events)',
    description:
      'Every event of the campaign (state changes, measurements added, proposals, experiment changes, refinement...) as an SSE ' +
      '`data:` line with the event as JSON (its `type` inside); a `: heartbeat` comment every 15 s.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'server-sent events, one campaign event (JSON) per `data:` line', schema: { type: 'string' } })
  @ApiNotFoundResponse()
  async events(@Param('id', ID) id: string, @Req() req: AuthenticatedRequest, @Res() res: Response): Promise<void> {
    await this.progress.campaign(id);
    // the stream outlives the request's authorisation: it asks again while open
    const principal = req.apiKey;
    const token = extractToken(req, true);
    const access = principal && token
      ? {
          key: principal.keyId,
          stillAllowed: async () => {
            const auth = await this.keys.authenticate(token);
            return auth.ok && (auth.principal.campaignIds === null || auth.principal.campaignIds.includes(id.toLowerCase()));
          },
        }
      : undefined;
    this.feed.stream(id, req, res, access);
  }

  @Get(':id/export/:file')
  @ApiOperation({
    summary: 'Export measurements or experiments (CSV/JSON, with provenance) or the whole campaign as one JSON document',
    description:
      'measurements.{csv|json}: current revisions (revisions=all for every revision) with source, instrument, job, entered_by, ' +
      'revision, supersedes, created_at and whether the alloy meets every objective. experiments.{csv|json}: every experiment with ' +
      'its state, prediction and latest result. campaign.json: settings, experiments, instrument jobs, every measurement revision, ' +
      'model version metadata and agent training curves (artifacts=true adds the serialised models and agent weights), refinement ' +
      'events; POST /api/v1/campaigns/import takes it back.',
  })
  @ApiParam({ name: 'file', enum: EXPORTS })
  @ApiQuery({ name: 'revisions', required: false, enum: ['current', 'all'] })
  @ApiQuery({ name: 'artifacts', required: false, type: Boolean })
  @ApiProduces('text/csv', 'application/json')
  @ApiOkResponse({ description: 'the file (Content-Disposition: attachment)', schema: { type: 'string' } })
  @ApiBadRequestResponse({ description: 'unknown file or revisions value' })
  @ApiNotFoundResponse()
  async export(
    @Param('id', ID) id: string,
    @Param('file') file: string,
    @Query('revisions') revisions: string | undefined,
    @Query('artifacts') artifacts: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    if (!(EXPORTS as readonly string[]).includes(file)) throw new Invalid(`unknown export ${file}: one of ${EXPORTS.join(', ')}`);
    if (revisions !== undefined && revisions !== 'current' && revisions !== 'all') throw new Invalid('revisions must be current or all');
    const campaign = await this.progress.campaign(id);
    const [what, format] = file.split('.') as ['measurements' | 'experiments' | 'campaign', 'csv' | 'json'];
    const stem = `campaign-${campaign.id}-${what}`;
    res.status(200);
    res.setHeader('Content-Type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="${stem}.${format}"`);
    const write = writer(res);
    if (what === 'measurements') {
      await this.exports.writeMeasurements(id, format, revisions === 'all', write);
    } else if (what === 'experiments') {
      const rows = await this.exports.experiments(id);
      if (format === 'json') await write(JSON.stringify(rows));
      else {
        const objectives = normaliseObjectives(campaign.objectives);
        await write(csvLine(experimentCsvColumns(objectives)) + rows.map((e) => csvLine(experimentCsvRow(e, objectiveColumns(objectives)))).join(''));
      }
    } else {
      await this.exports.writeCampaignDocument(id, artifacts === 'true' || artifacts === '1', write);
    }
    res.end();
  }

  @Post('import')
  @HttpCode(201)
  @ApiOperation({ summary: 'Import a campaign document (from GET .../export/campaign.json) as a new campaign, to resume it here' })
  @ApiHeader({ name: 'X-Actor', required: false })
  @ApiBody({ schema: { type: 'object', properties: { format: { type: 'string', example: 'aimatdesign-campaign' }, version: { type: 'number', example: 1 } } } })
  @ApiCreatedResponse({
    description: 'the new campaign',
    schema: {
      type: 'object',
      required: ['campaignId', 'status', 'counts'],
      properties: { campaignId: { type: 'string', format: 'uuid' }, status: { type: 'string' }, counts: { type: 'object', additionalProperties: { type: 'integer' } } },
    },
  })
  @ApiBadRequestResponse({ description: 'not a campaign document, or invalid settings, with the reasons' })
  import(@Body() doc: unknown, @Actor() actor: string) {
    return this.exports.importDocument(doc, actor);
  }

  @Get(':id/plots/:file')
  @ApiOperation({ summary: 'A progress chart rendered server-side (Vega-Lite), as SVG or PNG' })
  @ApiParam({ name: 'file', description: `{${PLOT_KINDS.join('|')}}.{svg|png}`, example: 'pareto.svg' })
  @ApiProduces('image/svg+xml', 'image/png')
  @ApiOkResponse({ description: 'the chart', schema: { type: 'string', format: 'binary' } })
  @ApiBadRequestResponse({ description: 'unknown chart or format' })
  @ApiNotFoundResponse()
  async plot(@Param('id', ID) id: string, @Param('file') file: string, @Res() res: Response): Promise<void> {
    const match = /^([a-z-]+)\.(svg|png)$/.exec(file);
    if (!match || !(PLOT_KINDS as readonly string[]).includes(match[1]) || !(PLOT_FORMATS as readonly string[]).includes(match[2])) {
      throw new Invalid(`unknown plot ${file}: {${PLOT_KINDS.join('|')}}.{svg|png}`);
    }
    const report = await this.progress.recentReport(id);
    const format = match[2] as PlotFormat;
    const body = await renderPlot(match[1] as PlotKind, report, format);
    res.status(200);
    res.setHeader('Content-Type', format === 'svg' ? 'image/svg+xml; charset=utf-8' : 'image/png');
    res.setHeader('Cache-Control', 'no-cache');
    res.end(body);
  }
}

@ApiExcludeController()
@Controller()
export class DashboardController {
  @Get('dashboard')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  page(): string {
    return DASHBOARD_HTML;
  }
}
