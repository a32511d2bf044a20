import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow, ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsDefined, IsObject, IsIn, IsInt, IsNumber, IsOptional, IsString, Matches, Max,
  MaxLength, Min, MinLength, ValidateNested,
} from 'class-validator';
import {
  DEFAULT_STRATEGY,
  KNOWLEDGE_PROVIDERS,
  STRATEGY_METHODS,
  STRATEGY_SETTING_DESCRIPTIONS,
  STRATEGY_SETTING_RANGES,
  type NumericStrategySetting,
  type SettingRange,
  type KnowledgeProviderKind,
  type StrategyMethod,
  type StrategySettings,
} from '../../core/domain/strategy.js';
import { CAMPAIGN_LIMITS } from '../../core/domain/campaign.js';
import { ALLOY_FAMILIES, type AlloyFamily } from '../../core/knowledge/families.js';
import { MAX_OBJECTIVES, MEASURED_PROPERTIES, OBJECTIVE_DIRECTIONS, PROPERTY_NAME_PATTERN, type ObjectiveDirection } from '../../core/domain/objectives.js';
import { PageQuery } from '../../common/pagination.js';
import { CAMPAIGN_STATUSES } from '../../repositories/entities/campaign.entity.js';
import { MAX_CATEGORICAL_VALUES, MAX_PROCESS_VARIABLES, PROCESS_NAME_PATTERN, PROCESS_VARIABLE_KINDS, type ProcessVariableKind } from '../../core/domain/process.js';

export class ElementBoundDto {
  @ApiProperty({ example: 'Zr', description: 'element symbol' })
  @IsString() @Matches(/^[A-Z][a-z]?$/, { message: 'symbol must be an element symbol such as Zr' })
  symbol: string;

  @ApiProperty({ example: 40, description: 'lower bound, at.%' })
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(100)
  min: number;

  @ApiProperty({ example: 70, description: 'upper bound, at.%' })
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(0) @Max(100)
  max: number;
}

export class ProcessVariableDto {
  @ApiProperty({ example: 'castingDiameterMm', description: 'variable name: 1-64 letters, digits or _, starting with a letter (units in the name help)' })
  @IsString() @Matches(PROCESS_NAME_PATTERN, { message: 'name must be 1-64 letters, digits or _, starting with a letter' })
  name: string;

  @ApiProperty({ enum: PROCESS_VARIABLE_KINDS, example: 'continuous', description: 'continuous (min, max, step, unit) or categorical (values)' })
  @IsIn(PROCESS_VARIABLE_KINDS)
  kind: ProcessVariableKind;

  @ApiPropertyOptional({ example: 1, description: 'continuous: lower bound (in unit)' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false })
  min?: number;

  @ApiPropertyOptional({ example: 5, description: 'continuous: upper bound (in unit); max - min a whole number of steps' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false })
  max?: number;

  @ApiPropertyOptional({ example: 0.5, description: 'continuous: grid step (in unit)' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false })
  step?: number;

  @ApiPropertyOptional({ example: 'mm', description: 'continuous: unit, as text' })
  @IsOptional() @IsString() @MaxLength(32)
  unit?: string;

  @ApiPropertyOptional({ type: [String], example: ['copper-mould', 'suction', 'water-quench'], description: 'categorical: the values, each once' })
  @IsOptional() @IsArray() @ArrayMinSize(1) @ArrayMaxSize(MAX_CATEGORICAL_VALUES) @IsString({ each: true }) @MaxLength(64, { each: true })
  values?: string[];

  @ApiPropertyOptional({
    oneOf: [{ type: 'number' }, { type: 'string' }],
    example: 3,
    description: 'value used for measurements without process values (seed data); left out: the midpoint on the step grid, or the first categorical value',
  })
  @IsOptional() @Allow()
  default?: number | string;
}

export class DesignSpaceDto {
  @ApiProperty({ type: [ElementBoundDto], description: 'elements the design may use, with at.% bounds' })
  @IsArray() @ArrayMinSize(2) @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => ElementBoundDto)
  elements: ElementBoundDto[];

  @ApiProperty({ example: 0.5, description: 'composition grid step, at.%' })
  @IsNumber() @Min(0.01) @Max(50)
  step: number;

  @ApiProperty({ example: 3 }) @IsInt() @Min(1) @Max(20)
  minElements: number;

  @ApiProperty({ example: 6 }) @IsInt() @Min(1) @Max(20)
  maxElements: number;

  @ApiPropertyOptional({ example: 'Zr', description: 'element that must have the largest fraction' })
  @IsOptional() @IsString() @Matches(/^[A-Z][a-z]?$/)
  baseElement?: string;

  @ApiPropertyOptional({
    enum: ALLOY_FAMILIES,
    example: 'zr-bmg',
    description: 'alloy family: its knowledge rules and LLM prompt (left out: hea when the base element is one of Co, Cr, Fe, Ni, Mn, Cu and three of them are in the space, else zr-bmg)',
  })
  @IsOptional() @IsIn(ALLOY_FAMILIES)
  family?: AlloyFamily;

  @ApiPropertyOptional({
    type: [ProcessVariableDto],
    description: `process variables designed with the composition (up to ${MAX_PROCESS_VARIABLES}), e.g. casting diameter, cooling method, annealing temperature and time`,
  })
  @IsOptional() @IsArray() @ArrayMaxSize(MAX_PROCESS_VARIABLES) @ValidateNested({ each: true }) @Type(() => ProcessVariableDto)
  process?: ProcessVariableDto[];
}

export class ObjectiveTargetDto {
  @ApiProperty({
    example: 'yieldStrengthMPa',
    description:
      `a measured property: one of ${Object.keys(MEASURED_PROPERTIES).join(', ')} (units in the name), or a free name an instrument reports ` +
      '(letters, digits, _; read from the measurement\'s extra values)',
  })
  @IsString() @Matches(PROPERTY_NAME_PATTERN, { message: 'property must be a property name such as yieldStrengthMPa or dmaxMm (letters, digits, _)' })
  property: string;

  @ApiPropertyOptional({
    enum: OBJECTIVE_DIRECTIONS,
    default: 'atLeast',
    description: 'maximise / minimise (threshold optional: also needed for success), atLeast / atMost (threshold), within (min and max); left out: atLeast',
  })
  @IsOptional() @IsIn(OBJECTIVE_DIRECTIONS)
  direction?: ObjectiveDirection;

  @ApiPropertyOptional({ example: 1800, description: 'atLeast / atMost: the bound; maximise / minimise: optional bound for success (in the property\'s unit)' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false })
  threshold?: number;

  @ApiPropertyOptional({ example: 80, description: 'within: lower end of the range' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false })
  min?: number;

  @ApiPropertyOptional({ example: 100, description: 'within: upper end of the range' })
  @IsOptional() @IsNumber({ allowNaN: false, allowInfinity: false })
  max?: number;

  @ApiPropertyOptional({ example: 1, default: 1, description: 'weight in the reward and ranking' }) @IsOptional() @IsNumber() @Min(0) @Max(100)
  weight?: number;
}

export class ObjectivesDto {
  @ApiProperty({ example: true, description: 'an alloy counts as a success only if it forms a glass (false: crystalline allowed, e.g. high-entropy alloys)' })
  @IsBoolean()
  requireGlass: boolean;

  @ApiProperty({ type: [ObjectiveTargetDto], description: `up to ${MAX_OBJECTIVES} objectives, each property once` })
  @IsArray() @ArrayMaxSize(MAX_OBJECTIVES) @ValidateNested({ each: true }) @Type(() => ObjectiveTargetDto)
  targets: ObjectiveTargetDto[];
}

/** A strategy setting's OpenAPI entry: default and description from the core (DEFAULT_STRATEGY, STRATEGY_SETTING_DESCRIPTIONS). */
function strategySetting(key: keyof StrategySettings, extra: Record<string, unknown> = {}) {
  return { default: DEFAULT_STRATEGY[key], description: STRATEGY_SETTING_DESCRIPTIONS[key], ...extra };
}

/** A numeric strategy setting: its OpenAPI entry (default, description, range) and its checks, all from the core's tables. */
function StrategyNumber(key: NumericStrategySetting): PropertyDecorator {
  const r: SettingRange = STRATEGY_SETTING_RANGES[key];
  return applyDecorators(
    ApiPropertyOptional(strategySetting(key, { minimum: r.min, maximum: r.max, ...(r.integer ? { type: 'integer' } : {}) })),
    IsOptional(),
    r.integer ? IsInt() : IsNumber(),
    Min(r.min),
    Max(r.max),
  );
}

/** A campaign number (budget, batch size, seed): its checks from the core's CAMPAIGN_LIMITS. */
function CampaignNumber(key: keyof typeof CAMPAIGN_LIMITS, optional: boolean): PropertyDecorator {
  const r: SettingRange = CAMPAIGN_LIMITS[key];
  return applyDecorators(...(optional ? [IsOptional()] : []), IsInt(), Min(r.min), Max(r.max));
}

export class StrategyDto {
  @ApiPropertyOptional(strategySetting('method', { enum: STRATEGY_METHODS })) @IsOptional() @IsIn(STRATEGY_METHODS)
  method?: StrategyMethod;
  @StrategyNumber('episodesPerIteration')
  episodesPerIteration?: number;
  @StrategyNumber('refreshEpisodes')
  refreshEpisodes?: number;
  @StrategyNumber('stepsPerEpisode')
  stepsPerEpisode?: number;
  @StrategyNumber('actionStep')
  actionStep?: number;
  @StrategyNumber('tepShare')
  tepShare?: number;
  @ApiPropertyOptional(strategySetting('knowledgeProvider', { enum: KNOWLEDGE_PROVIDERS })) @IsOptional() @IsIn(KNOWLEDGE_PROVIDERS)
  knowledgeProvider?: KnowledgeProviderKind;
  @StrategyNumber('knowledgeWeight')
  knowledgeWeight?: number;
  @ApiPropertyOptional(strategySetting('amrEnabled')) @IsOptional() @IsBoolean()
  amrEnabled?: boolean;
  @StrategyNumber('amrCorrelationThreshold')
  amrCorrelationThreshold?: number;
  @StrategyNumber('amrDisagreementShare')
  amrDisagreementShare?: number;
  @StrategyNumber('minProposalDistance')
  minProposalDistance?: number;
  @ApiPropertyOptional(strategySetting('successEndsEpisode'))
  @IsOptional()
  @IsBoolean()
  successEndsEpisode?: boolean;
  @ApiPropertyOptional(strategySetting('safetyLayer'))
  @IsOptional()
  @IsBoolean()
  safetyLayer?: boolean;
  @StrategyNumber('startCurriculum')
  startCurriculum?: number;
  @ApiPropertyOptional(strategySetting('trustRegion'))
  @IsOptional()
  @IsBoolean()
  trustRegion?: boolean;
  @StrategyNumber('explorationShare')
  explorationShare?: number;
  @ApiPropertyOptional(strategySetting('localEvidence'))
  @IsOptional()
  @IsBoolean()
  localEvidence?: boolean;
}

/** A name must have a visible character (one of spaces only was stored as ""). */
const NOT_BLANK = /\S/;
const NOT_BLANK_MESSAGE = 'name must not be blank';

export class CreateCampaignDto {
  @ApiProperty({ example: 'Zr-BMG ductility 2026Q4' }) @IsString() @MinLength(1) @MaxLength(200) @Matches(NOT_BLANK, { message: NOT_BLANK_MESSAGE })
  name: string;

  @ApiPropertyOptional({ example: 'Find Zr-based BMGs with yield >= 1800 MPa and elongation >= 10 %' })
  @IsOptional() @IsString() @MaxLength(5000)
  description?: string;

  // IsDefined/IsObject: ValidateNested alone lets a missing object or an array through (a 500 or a
  // stored `[]` later; found by the fuzz test)
  @ApiProperty({ type: DesignSpaceDto }) @IsDefined() @IsObject() @ValidateNested() @Type(() => DesignSpaceDto)
  designSpace: DesignSpaceDto;

  @ApiProperty({ type: ObjectivesDto }) @IsDefined() @IsObject() @ValidateNested() @Type(() => ObjectivesDto)
  objectives: ObjectivesDto;

  @ApiProperty({ example: 96, description: 'maximum number of experiments' }) @CampaignNumber('budget', false)
  budget: number;

  @ApiProperty({ example: 8 }) @CampaignNumber('batchSize', false)
  batchSize: number;

  @ApiPropertyOptional({ example: 42, description: 'random seed (same seed, same proposals); random when omitted' })
  @CampaignNumber('seed', true)
  seed?: number;

  @ApiPropertyOptional({ type: StrategyDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => StrategyDto)
  strategy?: StrategyDto;

  @ApiPropertyOptional({ default: false, description: 'proposals wait for a PI approval before dispatch' })
  @IsOptional() @IsBoolean()
  approvalRequired?: boolean;
}

export class UpdateCampaignDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(200) @Matches(NOT_BLANK, { message: NOT_BLANK_MESSAGE })
  name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(5000)
  description?: string;
  @ApiPropertyOptional({ type: DesignSpaceDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => DesignSpaceDto)
  designSpace?: DesignSpaceDto;
  @ApiPropertyOptional({ type: ObjectivesDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => ObjectivesDto)
  objectives?: ObjectivesDto;
  @ApiPropertyOptional() @CampaignNumber('budget', true)
  budget?: number;
  @ApiPropertyOptional() @CampaignNumber('batchSize', true)
  batchSize?: number;
  @ApiPropertyOptional() @CampaignNumber('seed', true)
  seed?: number;
  @ApiPropertyOptional({ type: StrategyDto }) @IsOptional() @IsObject() @ValidateNested() @Type(() => StrategyDto)
  strategy?: StrategyDto;
  @ApiPropertyOptional() @IsOptional() @IsBoolean()
  approvalRequired?: boolean;
}

export class CampaignActionDto {
  @ApiPropertyOptional({ example: 'budget reached early enough; enough data for the paper' })
  @IsOptional() @IsString() @MaxLength(1000)
  reason?: string;
}

export class CampaignListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: CAMPAIGN_STATUSES }) @IsOptional() @IsIn(CAMPAIGN_STATUSES as unknown as string[])
  status?: string;
  @ApiPropertyOptional({ description: 'case-insensitive substring of the name' }) @IsOptional() @IsString() @MaxLength(200)
  q?: string;
}

export class MeasurementListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['seed', 'instrument', 'technician'] }) @IsOptional() @IsIn(['seed', 'instrument', 'technician'])
  source?: string;
  @ApiPropertyOptional({ description: 'only alloys containing this element' }) @IsOptional() @Matches(/^[A-Z][a-z]?$/)
  element?: string;
  @ApiPropertyOptional({ description: 'true: glass formers only; false: non-glass only' }) @IsOptional() @IsIn(['true', 'false'])
  glass?: string;
}

// ---- responses (for the OpenAPI document) ----

export class CampaignView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() description: string;
  @ApiProperty({ enum: CAMPAIGN_STATUSES }) status: string;
  @ApiProperty({ type: DesignSpaceDto }) designSpace: DesignSpaceDto;
  @ApiProperty({ type: ObjectivesDto }) objectives: ObjectivesDto;
  @ApiProperty() budget: number;
  @ApiProperty() batchSize: number;
  @ApiProperty() seed: number;
  @ApiProperty({ type: StrategyDto, description: 'settings with defaults filled in' }) strategy: StrategyDto;
  @ApiProperty() approvalRequired: boolean;
  @ApiProperty({ type: [String], example: ['start', 'abort'], description: 'lifecycle actions legal now' }) allowedActions: string[];
  @ApiProperty({ nullable: true, type: String }) completionReason: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) startedAt: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) finishedAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ description: 'measurement counts', example: { total: 40, seed: 40, glass: 25 } }) counts: Record<string, number>;
}

export class CampaignPage {
  @ApiProperty({ type: [CampaignView] }) items: CampaignView[];
  @ApiProperty() total: number;
  @ApiProperty() limit: number;
  @ApiProperty() offset: number;
}

export class RowProblemView {
  @ApiProperty({ example: 7 }) row: number;
  @ApiProperty({ example: 'unknown element "Xx" at position 0' }) reason: string;
}

export class ImportResultView {
  @ApiProperty({ enum: ['csv', 'json'] }) format: string;
  @ApiProperty({ example: 1200 }) kept: number;
  @ApiProperty({ example: 3 }) rejected: number;
  @ApiProperty({ example: 0, description: 'rows skipped because this Idempotency-Key already imported them' }) duplicates: number;
  @ApiProperty({ example: 12, description: 'kept rows outside the campaign design space (flagged, still used for training)' }) outsideDesignSpace: number;
  @ApiProperty({ type: [RowProblemView] }) problems: RowProblemView[];
  @ApiProperty({ description: 'true when strict mode refused the whole upload' }) strictRefused: boolean;
}
