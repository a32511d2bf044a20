import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsISO8601, IsNumber, IsObject, IsOptional, IsString, Max, MaxLength, Min, ValidateIf } from 'class-validator';
import { PHYSICAL_RANGES } from '../campaigns/seed-import.js';

export class ResultEntryDto {
  @ApiProperty({ enum: ['amorphous', 'partially_crystalline', 'crystalline'], example: 'amorphous' })
  @IsIn(['amorphous', 'partially_crystalline', 'crystalline'])
  phase: 'amorphous' | 'partially_crystalline' | 'crystalline';

  @ApiPropertyOptional({ type: Number, example: 1720, nullable: true, minimum: PHYSICAL_RANGES.yieldStrengthMPa.min, maximum: PHYSICAL_RANGES.yieldStrengthMPa.max, description: 'MPa; may be null only for a crystalline sample' })
  @ValidateIf((o: ResultEntryDto) => o.yieldStrengthMPa !== null && o.yieldStrengthMPa !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(PHYSICAL_RANGES.yieldStrengthMPa.min) @Max(PHYSICAL_RANGES.yieldStrengthMPa.max)
  yieldStrengthMPa?: number | null;

  @ApiPropertyOptional({ type: Number, example: 9.5, nullable: true, minimum: PHYSICAL_RANGES.elongationPct.min, maximum: PHYSICAL_RANGES.elongationPct.max, description: '%; may be null only for a crystalline sample' })
  @ValidateIf((o: ResultEntryDto) => o.elongationPct !== null && o.elongationPct !== undefined)
  @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(PHYSICAL_RANGES.elongationPct.min) @Max(PHYSICAL_RANGES.elongationPct.max)
  elongationPct?: number | null;

  @ApiPropertyOptional({ example: { Zr: 62.4, Cu: 22.6, Al: 10, Ni: 5 }, description: 'as made, at.%; default: the dispatched composition' })
  @IsOptional() @IsObject()
  composition?: Record<string, number>;

  @ApiPropertyOptional({
    type: 'object', additionalProperties: { type: 'number', nullable: true }, example: { dmaxMm: 8.5, tgK: 671, txK: 752, tlK: 1171 },
    description:
      'further measured properties, stored in the measurement\'s extra as an instrument\'s (protocol 1.1): dmaxMm, tgK, txK, tlK, deltaTxK, modulusGPa ' +
      'and the free names the campaign\'s objectives name; each a finite number or null (not measured). Another name is a 400.',
  })
  @IsOptional() @IsObject()
  properties?: Record<string, number | null>;

  @ApiPropertyOptional({
    type: 'object', additionalProperties: { oneOf: [{ type: 'number' }, { type: 'string' }] }, example: { castingDiameterMm: 2, coolingMethod: 'suction' },
    description: 'the process values used (protocol 1.2), checked against the campaign\'s process variables; left out: the experiment\'s process',
  })
  @IsOptional() @IsObject()
  process?: Record<string, number | string>;

  @ApiPropertyOptional({ example: '2026-11-25T18:30:00Z' }) @IsOptional() @IsISO8601({ strict: true })
  measuredAt?: string;

  @ApiPropertyOptional({ example: 'compression test, 2 mm rod' }) @IsOptional() @IsString() @MaxLength(2000)
  notes?: string;
}

export class CorrectionDto extends ResultEntryDto {
  @ApiProperty({ example: 'wrong unit: value was entered in GPa' }) @IsString() @MaxLength(1000)
  reason: string;
}
