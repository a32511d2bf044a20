import {
  Body, Controller, Get, Headers, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res, UploadedFile, UseInterceptors,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBadRequestResponse, ApiBody, ApiConflictResponse, ApiConsumes, ApiCreatedResponse, ApiHeader, ApiNotFoundResponse, ApiOkResponse,
  ApiOperation, ApiParam, ApiQuery, ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Actor } from './actor.js';
import { uploadedText } from './body-guards.js';
import { Invalid } from '../common/errors.js';
import { sendJsonOnce } from './json-once.js';
import { AuditService } from '../services/campaigns/audit.service.js';
import { PageQuery } from '../common/pagination.js';
import { CAMPAIGN_ACTIONS, type CampaignAction } from '../core/domain/campaign-lifecycle.js';
import {
  CampaignActionDto, CampaignListQuery, CampaignPage, CampaignView, CreateCampaignDto, ImportResultView, MeasurementListQuery,
  UpdateCampaignDto,
} from '../services/campaigns/campaign.dto.js';
import { CampaignsService } from '../services/campaigns/campaigns.service.js';
import { entityRef, pageOf } from './openapi.js';
import { MeasurementEntity } from '../repositories/entities/measurement.entity.js';
import { AuditEventEntity } from '../repositories/entities/audit-event.entity.js';

const ID = new ParseUUIDPipe({ version: undefined });

@ApiTags('campaigns')
@ApiHeader({ name: 'X-Actor', required: false, description: 'who is acting (recorded in the audit trail)' })
@Controller('api/v1/campaigns')
export class CampaignsController {
  constructor(
    @Inject(CampaignsService) private readonly campaigns: CampaignsService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a campaign (as a draft)' })
  @ApiCreatedResponse({ type: CampaignView })
  @ApiBadRequestResponse({ description: 'invalid design space, objectives, budget or batch size, with the reasons' })
  create(@Body() dto: CreateCampaignDto, @Actor() actor: string): Promise<CampaignView> {
    return this.campaigns.create(dto, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List campaigns (paginated, newest first; filter by status or name)' })
  @ApiOkResponse({ type: CampaignPage })
  list(@Query() query: CampaignListQuery) {
    return this.campaigns.list(query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One campaign: settings, state, counts' })
  @ApiOkResponse({ type: CampaignView })
  @ApiNotFoundResponse()
  get(@Param('id', ID) id: string): Promise<CampaignView> {
    return this.campaigns.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a draft campaign (refused with 409 once started)' })
  @ApiOkResponse({ type: CampaignView })
  @ApiConflictResponse({ description: 'the campaign is no longer a draft' })
  update(@Param('id', ID) id: string, @Body() dto: UpdateCampaignDto, @Actor() actor: string): Promise<CampaignView> {
    return this.campaigns.update(id, dto, actor);
  }

  @Post(':id/:action')
  @HttpCode(200)
  @ApiOperation({ summary: 'Lifecycle action: start, pause, resume, complete or abort' })
  @ApiParam({ name: 'action', enum: CAMPAIGN_ACTIONS })
  @ApiOkResponse({ type: CampaignView })
  @ApiConflictResponse({ description: 'illegal transition from the current state, with the reason and the allowed actions' })
  act(
    @Param('id', ID) id: string,
    @Param('action') action: string,
    @Body() body: CampaignActionDto,
    @Actor() actor: string,
  ): Promise<CampaignView> {
    if (!CAMPAIGN_ACTIONS.includes(action as CampaignAction)) throw new Invalid(`unknown action ${action}`);
    return this.campaigns.act(id, action as CampaignAction, actor, body?.reason);
  }

  @Post(':id/measurements/import')
  @UseInterceptors(FileInterceptor('file'))
  @ApiOperation({
    summary: 'Import seed measurements (CSV or JSON)',
    description:
      'Send a multipart form with a `file` field, or the CSV as text/csv, or JSON (an array of rows or {rows: [...]}) as the body. ' +
      'Compositions as a formula column (Zr65Cu17.5Ni10Al7.5, (Zr0.5Cu0.5)90Al10) or element columns in at.% ' +
      '(the published AIMatDesign CSV imports as it is). Bad rows are reported with row number and reason; ' +
      'with strict=true one bad row refuses the upload. Repeating an upload with the same Idempotency-Key stores nothing twice.',
  })
  @ApiConsumes('multipart/form-data', 'text/csv', 'application/json')
  @ApiBody({
    schema: {
      oneOf: [
        { type: 'object', properties: { file: { type: 'string', format: 'binary' } } },
        { type: 'string', example: 'name,composition,phase,yieldStrengthMPa,elongationPct\nVit105,Zr52.5Cu17.9Ni14.6Al10Ti5,amorphous,1800,1.5' },
        { type: 'array', items: { type: 'object' }, example: [{ composition: 'Zr65Cu17.5Ni10Al7.5', phase: 'amorphous', yieldStrengthMPa: 1650 }] },
      ],
    },
  })
  @ApiQuery({ name: 'strict', required: false, type: Boolean })
  @ApiQuery({ name: 'format', required: false, enum: ['csv', 'json'] })
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  @ApiCreatedResponse({ type: ImportResultView })
  @ApiBadRequestResponse({ description: 'unreadable upload, no valid rows, or strict mode with bad rows; row-level reasons in `problems`' })
  async import(
    @Param('id', ID) id: string,
    @Req() req: Request,
    @UploadedFile() file: { buffer: Buffer; originalname: string } | undefined,
    @Query('strict') strict: string | undefined,
    @Query('format') format: string | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Actor() actor: string,
  ): Promise<ImportResultView> {
    if (format !== undefined && format !== 'csv' && format !== 'json') throw new Invalid('format must be csv or json');
    if (idempotencyKey !== undefined && !/^[\w.:-]{1,200}$/.test(idempotencyKey)) throw new Invalid('Idempotency-Key: 1-200 of letters, digits, _ . : -');
    let text: string;
    let detected = format as 'csv' | 'json' | undefined;
    if (file) {
      text = uploadedText(file.buffer, file.originalname);
      detected ??= file.originalname.toLowerCase().endsWith('.json') ? 'json' : file.originalname.toLowerCase().endsWith('.csv') ? 'csv' : undefined;
    } else if (typeof req.body === 'string') {
      text = req.body;
    } else if (req.body && typeof req.body === 'object' && Object.keys(req.body).length > 0) {
      text = JSON.stringify(req.body);
      detected = 'json';
    } else {
      throw new Invalid('no data: send a file field, a text/csv body or a JSON body');
    }
    return this.campaigns.importMeasurements(id, text, { format: detected, strict: strict === 'true' || strict === '1', idempotencyKey }, actor);
  }

  @Get(':id/measurements')
  @ApiOperation({ summary: 'Measurements of a campaign (current revisions; paginated; filter by source, element, glass)' })
  @ApiOkResponse({ schema: pageOf(entityRef(MeasurementEntity)) })
  @ApiNotFoundResponse()
  async listMeasurements(@Param('id', ID) id: string, @Query() query: MeasurementListQuery, @Res() res: Response): Promise<void> {
    sendJsonOnce(res, await this.campaigns.listMeasurements(id, query));
  }

  @Get(':id/audit')
  @ApiOperation({ summary: 'Audit trail of the campaign: every state change with time, cause and actor' })
  @ApiOkResponse({ schema: pageOf(entityRef(AuditEventEntity)) })
  @ApiNotFoundResponse()
  async auditTrail(@Param('id', ID) id: string, @Query() query: PageQuery) {
    await this.campaigns.find(id);
    return this.audit.list({ campaignId: id }, query.limit ?? 200, query.offset ?? 0);
  }
}
