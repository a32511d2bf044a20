import { Body, Controller, ForbiddenException, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags, ApiOkResponse, ApiNotFoundResponse } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { Actor } from './actor.js';
import { PageQuery } from '../common/pagination.js';
import type { AuthenticatedRequest } from './auth.guard.js';
import { writeDecision, type WriteTarget } from '../common/policy.js';
import { RejectedMessageEntity } from '../repositories/entities/rejected-message.entity.js';
import { RejectedMessagesService } from '../services/lab/rejected-messages.service.js';
import { entityRef, pageOf } from './openapi.js';

class RejectedListQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['pending', 'replayed', 'dismissed'] }) @IsOptional() @IsIn(['pending', 'replayed', 'dismissed'])
  status?: string;
  @ApiPropertyOptional({ enum: ['mqtt', 'rest', 'import'] }) @IsOptional() @IsIn(['mqtt', 'rest', 'import'])
  channel?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID()
  campaignId?: string;
}

class ReplayDto {
  @ApiPropertyOptional({ description: 'a fixed payload to replay instead of the stored one (the original stays on record)' })
  @IsOptional() @IsString() @MaxLength(1_000_000)
  payload?: string;
}

class DismissDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000)
  reason?: string;
}

@ApiTags('rejected messages')
@Controller('api/v1/rejected-messages')
export class RejectedMessagesController {
  constructor(
    @Inject(RejectedMessagesService) private readonly rejected: RejectedMessagesService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Everything that failed validation, verbatim with its reason (newest first)' })
  @ApiOkResponse({ schema: pageOf(entityRef(RejectedMessageEntity)) })
  list(@Query() query: RejectedListQuery) {
    return this.rejected.list({ status: query.status, channel: query.channel, campaignId: query.campaignId }, query.limit ?? 50, query.offset ?? 0);
  }

  @Post(':id/replay')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Replay an MQTT message after a fix (e.g. once its job is known, or with a corrected payload)',
    description: 'Runs the message through the same handler as when it arrived. Success marks it replayed; failure keeps it pending with the new reason.',
  })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['ok', 'message'],
      properties: { ok: { type: 'boolean' }, result: { type: 'string', nullable: true }, message: entityRef(RejectedMessageEntity) },
    },
  })
  @ApiNotFoundResponse()
  replay(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ReplayDto, @Actor() actor: string, @Req() req: AuthenticatedRequest) {
    const fixed = body?.payload !== undefined;
    // Authorise what the replay writes: the campaign of the job the payload names (not the stored
    // message's), and for a fixed payload (or an instrument's key) the right to speak for the instrument.
    const key = req.apiKey;
    const speaksForInstrument = fixed || key?.role === 'instrument';
    const authorize = (target: { campaignId: string | null; instrumentId: string }) => {
      const write: WriteTarget = { campaignId: target.campaignId, ...(speaksForInstrument ? { asInstrument: target.instrumentId } : {}) };
      const decision = key ? writeDecision(key, write) : { allowed: false as const, reason: 'no API key' };
      if (!decision.allowed) throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: `replay refused: ${decision.reason}` });
    };
    return this.rejected.replay(id, body?.payload, actor, authorize);
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @ApiOperation({ summary: 'Dismiss a rejected message (kept on record, no longer pending)' })
  @ApiOkResponse({ schema: entityRef(RejectedMessageEntity) })
  @ApiNotFoundResponse()
  dismiss(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: DismissDto, @Actor() actor: string) {
    return this.rejected.dismiss(id, body?.reason, actor);
  }
}
