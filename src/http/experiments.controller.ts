import { Body, Controller, Get, Headers, HttpCode, Inject, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiHeader, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags, ApiOkResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiConsumes, ApiBody } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsObject, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Actor } from './actor.js';
import { IllegalTransition, Invalid } from '../common/errors.js';
import { PageQuery } from '../common/pagination.js';
import { CampaignsService } from '../services/campaigns/campaigns.service.js';
import { DispatcherService } from '../services/lab/dispatcher.service.js';
import { ResultEntryDto } from '../services/lab/result-entry.dto.js';
import { TechnicianEntryService } from '../services/lab/technician-entry.service.js';
import { EXPERIMENT_STATUSES, ExperimentEntity, InstrumentJobEntity } from '../repositories/entities/experiment.entity.js';
import { compositionInSpace, ExperimentsService } from '../services/campaigns/experiments.service.js';
import { PredictionService } from '../services/campaigns/prediction.service.js';
import { arrayOf, entityRef, entityWith, pageOf } from './openapi.js';
import { MeasurementEntity } from '../repositories/entities/measurement.entity.js';

/** What a bulk CSV entry answers: counts and each row's outcome. */
const BULK_RESULT = {
  type: 'object',
  required: ['stored', 'duplicates', 'rejected', 'rows'],
  properties: {
    stored: { type: 'integer' },
    duplicates: { type: 'integer' },
    rejected: { type: 'integer' },
    rows: { type: 'array', items: { type: 'object', properties: { row: { type: 'integer' }, outcome: { type: 'string', enum: ['stored', 'duplicate', 'rejected'] }, reason: { type: 'string' } } } },
  },
};

const ID = new ParseUUIDPipe();

class ExperimentListQuery extends PageQuery {
  @ApiPropertyOptional({ description: `comma-separated states: ${EXPERIMENT_STATUSES.join(', ')}`, example: 'queued,dispatched' })
  @IsOptional() @IsString() @MaxLength(300)
  status?: string;
}

class ReasonDto {
  @ApiProperty({ example: 'too close to a known brittle alloy' }) @IsString() @MaxLength(1000)
  reason: string;
}

class ApproveDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000)
  reason?: string;
}

class EditDto {
  @ApiProperty({ example: { Zr: 62.5, Cu: 22.5, Al: 10, Ni: 5 }, description: 'at.%; rounded to the campaign step' })
  @IsObject()
  composition: Record<string, number>;
}

class AddExperimentDto {
  @ApiProperty({ example: { Zr: 62.5, Cu: 22.5, Al: 10, Ni: 5 }, description: 'at.%; normalised to 100 and rounded to the campaign step' })
  @IsObject()
  composition: Record<string, number>;

  @ApiPropertyOptional({ example: { castingDiameterMm: 2, coolingMethod: 'suction' }, description: "values of the campaign's process variables (left out: their defaults)" })
  @IsOptional() @IsObject()
  process?: Record<string, number | string>;
}

class BatchApproveDto {
  @ApiProperty({ type: [String], description: 'proposals of this campaign waiting for approval (all or none are approved)' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(500) @IsUUID('all', { each: true })
  experimentIds: string[];
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000)
  reason?: string;
}

class BatchRejectDto {
  @ApiProperty({ type: [String], description: 'proposals of this campaign waiting for approval (all or none are rejected)' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(500) @IsUUID('all', { each: true })
  experimentIds: string[];
  @ApiProperty({ example: 'too close to known brittle alloys' }) @IsString() @MaxLength(1000)
  reason: string;
}

class PredictDto {
  @ApiProperty({ example: [{ Zr: 62.5, Cu: 22.5, Al: 10, Ni: 5 }], description: 'at.% compositions inside the campaign\'s design space (1-200)' })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(200) @IsObject({ each: true })
  compositions: Record<string, number>[];
}

@ApiTags('experiments')
@Controller('api/v1')
export class ExperimentsController {
  constructor(
    @Inject(ExperimentsService) private readonly experiments: ExperimentsService,
    @Inject(CampaignsService) private readonly campaigns: CampaignsService,
    @Inject(TechnicianEntryService) private readonly entries: TechnicianEntryService,
    @Inject(DispatcherService) private readonly dispatcher: DispatcherService,
    @Inject(PredictionService) private readonly predictions: PredictionService,
  ) {}

  @Post('campaigns/:id/experiments')
  @ApiOperation({
    summary: 'PI adds a composition of their own as an experiment',
    description: 'Checked against the design space, predicted by the current surrogates, queued for dispatch like an approved proposal and counted in the budget.',
  })
  @ApiCreatedResponse({ schema: entityWith(ExperimentEntity, { model: { type: 'object', nullable: true, description: 'the model version that predicted it' } }) })
  @ApiBadRequestResponse({ description: 'composition invalid or outside the design space' })
  @ApiConflictResponse({ description: 'budget allocated, or the campaign is completed or aborted' })
  async add(@Param('id', ID) id: string, @Body() body: AddExperimentDto, @Actor() actor: string) {
    const e = await this.experiments.addOwn(id, body.composition, actor, body.process);
    this.dispatcher.request();
    return e;
  }

  @Post('campaigns/:id/experiments/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'PI approves several proposals at once (all or none)' })
  @ApiOkResponse({ schema: { type: 'object', required: ['items'], properties: { items: arrayOf(entityRef(ExperimentEntity)) } } })
  @ApiConflictResponse({ description: 'some id is not a proposal of this campaign waiting for approval; nothing changed' })
  async approveMany(@Param('id', ID) id: string, @Body() body: BatchApproveDto, @Actor() actor: string) {
    await this.campaigns.find(id);
    const items = await this.experiments.decideMany(id, body.experimentIds, 'approve', actor, body.reason);
    this.dispatcher.request();
    return { items };
  }

  @Post('campaigns/:id/experiments/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'PI rejects several proposals at once (all or none; they do not count against the budget)' })
  @ApiOkResponse({ schema: { type: 'object', required: ['items'], properties: { items: arrayOf(entityRef(ExperimentEntity)) } } })
  @ApiConflictResponse({ description: 'some id is not a proposal of this campaign waiting for approval; nothing changed' })
  async rejectMany(@Param('id', ID) id: string, @Body() body: BatchRejectDto, @Actor() actor: string) {
    await this.campaigns.find(id);
    return { items: await this.experiments.decideMany(id, body.experimentIds, 'reject', actor, body.reason) };
  }

  @Post('campaigns/:id/predict')
  @HttpCode(200)
  @ApiOperation({
    summary: "The current surrogates' predictions for compositions",
    description:
      'P(glass), yield strength and elongation with their standard deviations and 95 % intervals, every further property the objectives name that the active ' +
      'model version has a regressor for (`properties`, `propertyIntervals95`), and the probability of meeting every objective (a property without a model ' +
      'is no factor of it). `properties.withoutModel` names each objective property without a model, and why.',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['model', 'properties', 'items'],
      properties: {
        model: { type: 'object', description: 'the active model version (id, version, features)' },
        properties: {
          type: 'object',
          required: ['modelled', 'withoutModel'],
          description: "the campaign's objective properties beyond yield strength and elongation",
          properties: {
            modelled: { type: 'array', items: { type: 'string' }, description: 'predicted, in each item\'s prediction.properties' },
            withoutModel: { type: 'array', items: { type: 'object', required: ['property', 'reason'], properties: { property: { type: 'string' }, reason: { type: 'string' } } } },
          },
        },
        items: arrayOf({
          type: 'object',
          properties: {
            composition: { type: 'object', additionalProperties: { type: 'number' }, description: 'at.% by element' },
            prediction: { type: 'object', description: 'pGlass, yield strength and elongation with sd and 95 % interval, properties {name: {mean, std}} with propertyIntervals95, successProbability' },
          },
        }),
      },
    },
  })
  @ApiBadRequestResponse({ description: 'a composition is invalid or outside the design space (its index is named)' })
  @ApiConflictResponse({ description: 'no surrogate model trained for this campaign yet' })
  async predict(@Param('id', ID) id: string, @Body() body: PredictDto) {
    const campaign = await this.campaigns.find(id);
    const compositions = body.compositions.map((c, i) => {
      try {
        return compositionInSpace(c, campaign.designSpace);
      } catch (error) {
        const response = (error as Invalid).getResponse?.() as { message?: string; problems?: unknown[] } | undefined;
        throw new Invalid(`compositions[${i}]: ${response?.message ?? (error as Error).message}`, response?.problems ?? []);
      }
    });
    const out = await this.predictions.predict(campaign, compositions);
    if (!out) throw new IllegalTransition(`campaign ${id} has no trained surrogate model yet: it gets one with its first AIMatDesign design iteration`);
    return { model: out.model, properties: out.properties, items: compositions.map((composition, i) => ({ composition, prediction: out.predictions[i] })) };
  }

  @Get('campaigns/:id/experiments')
  @ApiOperation({ summary: 'Experiments of a campaign in experiment-number order (filter by state)' })
  @ApiOkResponse({ schema: pageOf(entityRef(ExperimentEntity)) })
  async list(@Param('id', ID) id: string, @Query() query: ExperimentListQuery) {
    await this.campaigns.find(id);
    const status = query.status?.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = status?.filter((s) => !(EXPERIMENT_STATUSES as readonly string[]).includes(s)) ?? [];
    if (unknown.length > 0) throw new Invalid(`unknown state(s): ${unknown.join(', ')}`);
    return this.experiments.list(id, { status, limit: query.limit ?? 50, offset: query.offset ?? 0 });
  }

  @Post('campaigns/:id/results')
  @ApiOperation({
    summary: 'Technicians: bulk results as CSV',
    description:
      'Columns: experiment (number or id), phase, yieldStrengthMPa, elongationPct, optional composition ("Zr:62.4 Cu:22.6 ..."), measuredAt, idempotencyKey, notes, ' +
      'and one column per further property the campaign takes (dmaxMm, tgK, txK, tlK, deltaTxK, modulusGPa, the free names its objectives name) or process variable ' +
      '(by name; an empty cell: not measured / the experiment\'s process). Any other column is a 400 and nothing is stored; a bad value rejects its row with the reason.',
  })
  @ApiConsumes('text/csv')
  @ApiBody({ schema: { type: 'string', example: 'experiment,phase,yieldStrengthMPa,elongationPct\n1,amorphous,1720,9.5\n' } })
  @ApiCreatedResponse({ schema: BULK_RESULT })
  async bulk(@Param('id', ID) id: string, @Body() body: unknown, @Actor() actor: string) {
    await this.campaigns.find(id);
    if (typeof body !== 'string') throw new Invalid('send the results as a text/csv body');
    return this.entries.enterBulk(id, body, actor);
  }

  @Get('experiments/:id')
  @ApiOperation({ summary: 'One experiment with its dispatch attempts (jobs)' })
  @ApiOkResponse({ schema: entityWith(ExperimentEntity, { jobs: arrayOf(entityRef(InstrumentJobEntity)) }) })
  @ApiNotFoundResponse()
  get(@Param('id', ID) id: string) {
    return this.experiments.get(id);
  }

  @Post('experiments/:id/approve')
  @HttpCode(200)
  @ApiOperation({ summary: 'PI approves a proposal (campaigns with an approval gate); it is queued for dispatch' })
  @ApiOkResponse({ schema: entityRef(ExperimentEntity) })
  @ApiConflictResponse({ description: 'not a proposal waiting for approval' })
  async approve(@Param('id', ID) id: string, @Body() body: ApproveDto, @Actor() actor: string) {
    const e = await this.experiments.approve(id, actor, body?.reason);
    this.dispatcher.request();
    return e;
  }

  @Post('experiments/:id/reject')
  @HttpCode(200)
  @ApiOperation({ summary: 'PI rejects a proposal (it does not count against the budget)' })
  @ApiOkResponse({ schema: entityRef(ExperimentEntity) })
  @ApiConflictResponse({ description: 'not a proposal' })
  reject(@Param('id', ID) id: string, @Body() body: ReasonDto, @Actor() actor: string) {
    return this.experiments.reject(id, actor, body.reason);
  }

  @Patch('experiments/:id')
  @ApiOperation({ summary: 'PI edits a proposal composition before approving it' })
  @ApiOkResponse({ schema: entityRef(ExperimentEntity) })
  @ApiBadRequestResponse({ description: 'composition invalid or outside the design space' })
  edit(@Param('id', ID) id: string, @Body() body: EditDto, @Actor() actor: string) {
    return this.experiments.edit(id, body.composition, actor);
  }

  @Post('experiments/:id/cancel')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cancel an experiment; a dispatched job gets job.cancel' })
  @ApiOkResponse({ schema: entityRef(ExperimentEntity) })
  @ApiConflictResponse({ description: 'the experiment is finished; it cannot be cancelled' })
  async cancel(@Param('id', ID) id: string, @Body() body: ReasonDto, @Actor() actor: string) {
    const e = await this.experiments.cancel(id, actor, body.reason);
    if (e.job) await this.dispatcher.cancelJob(e.job.instrumentId, e.job.jobId);
    this.dispatcher.request();
    return e.experiment;
  }

  @Post('experiments/:id/measurements')
  @ApiOperation({ summary: 'Technicians: enter the measured result of an experiment (closes it like an instrument result)' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'a retried request with the same key is stored once' })
  @ApiCreatedResponse({
    schema: {
      type: 'object',
      required: ['stored'],
      properties: {
        stored: { type: 'boolean', description: 'false: a repeat of a stored result (duplicateOf names it)' },
        measurement: entityRef(MeasurementEntity),
        experimentClosed: { type: 'boolean' },
        flags: { type: 'array', items: { type: 'string' } },
        duplicateOf: { type: 'string', format: 'uuid' },
      },
    },
  })
  @ApiBadRequestResponse({ description: 'invalid result, with the reasons' })
  async enter(@Param('id', ID) id: string, @Body() dto: ResultEntryDto, @Actor() actor: string, @Headers('idempotency-key') key?: string) {
    if (key !== undefined && !/^[\w.:-]{1,200}$/.test(key)) throw new Invalid('Idempotency-Key: 1-200 of letters, digits, _ . : -');
    const outcome = await this.entries.enter(id, dto, actor, key);
    return outcome.stored
      ? { stored: true, measurement: outcome.measurement, experimentClosed: outcome.experimentClosed, flags: outcome.flags }
      : { stored: false, duplicateOf: outcome.duplicateOf };
  }
}
