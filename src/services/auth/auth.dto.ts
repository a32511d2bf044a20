import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsDateString, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { ROLES, type Role } from '../../common/policy.js';

const NAME = /^[\w.@:+ -]{1,100}$/;

export class CreateApiKeyDto {
  @ApiProperty({ example: 'jane.pi', description: 'who or what holds the key; recorded as the actor in the audit trail' })
  @IsString() @MinLength(1) @MaxLength(100) @Matches(NAME, { message: 'name: 1-100 of letters, digits, space and _ . @ : + -' })
  name: string;

  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;

  @ApiPropertyOptional({ type: [String], format: 'uuid', description: 'limit the key to these campaigns (required for technician keys)' })
  @IsOptional() @IsArray() @ArrayMaxSize(1000) @IsUUID('all', { each: true })
  campaignIds?: string[];

  @ApiPropertyOptional({ format: 'date-time', description: 'the key stops working then' })
  @IsOptional() @IsDateString()
  expiresAt?: string;
}

export class UpdateApiKeyDto {
  @ApiPropertyOptional()
  @IsOptional() @IsString() @Matches(NAME, { message: 'name: 1-100 of letters, digits, space and _ . @ : + -' })
  name?: string;

  @ApiPropertyOptional({ type: [String], format: 'uuid', nullable: true, description: 'null: all campaigns' })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsArray() @ArrayMaxSize(1000) @IsUUID('all', { each: true })
  campaignIds?: string[] | null;

  @ApiPropertyOptional({ format: 'date-time', nullable: true })
  @IsOptional() @ValidateIf((_, v) => v !== null) @IsDateString()
  expiresAt?: string | null;
}

export class ApiKeyView {
  @ApiProperty({ example: 'k3m9x0q2a7bz' }) id: string;
  @ApiProperty({ example: 'aimd_k3m9x0q2a7bz_', description: 'how the key starts (the rest is secret)' }) prefix: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty({ type: [String], nullable: true, description: 'null: all campaigns' }) campaignIds: string[] | null;
  @ApiProperty({ enum: ['active', 'expired', 'revoked'] }) state: 'active' | 'expired' | 'revoked';
  @ApiProperty({ enum: ['api', 'bootstrap', 'config'] }) source: string;
  @ApiProperty() createdBy: string;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true }) expiresAt: string | null;
  @ApiProperty({ nullable: true }) revokedAt: string | null;
  @ApiProperty({ nullable: true }) revokedBy: string | null;
  @ApiProperty({ nullable: true }) lastUsedAt: string | null;
}

export class CreatedApiKeyView extends ApiKeyView {
  @ApiProperty({ description: 'the key itself: shown only now, store it safely' }) key: string;
}

export class InstrumentCredentialView {
  @ApiProperty() instrumentId: string;
  @ApiProperty({ description: 'MQTT username (the instrument id)' }) username: string;
  @ApiProperty() createdBy: string;
  @ApiProperty() createdAt: string;
}

export class IssuedInstrumentCredentialView extends InstrumentCredentialView {
  @ApiProperty({ description: 'MQTT password: shown only now' }) password: string;
  @ApiProperty({ example: 'aimd/v1/instruments/rig-3/' }) topicPrefix: string;
}
