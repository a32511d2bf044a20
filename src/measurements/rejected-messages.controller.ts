import { Body, Controller, ForbiddenException, Get, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiPropertyOptional, ApiTags, ApiOkResponse, ApiNotFoundResponse } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { DataSource } from 'typeorm';
import { Actor } from '../common/actor.js';
import { IllegalTransition, Invalid, NotFound } from '../common/errors.js';
import { PageQuery } from '../common/pagination.js';
import { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedRequest } from '../auth/auth.guard.js';
import { writeDecision, type WriteTarget } from '../auth/policy.js';
import { InstrumentGatewayService } from '../lab/instrument-gateway.service.js';
import { fromText } from '../lab/lab-messages.service.js';
import { RejectedMessageEntity } from './rejected-message.entity.js';
import { entityRef, pageOf } from '../common/openapi.js';

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
    @Inject(DataSource) private readonly dataSource: DataSource,
    @Inject(InstrumentGatewayService) private readonly gateway: InstrumentGatewayService,
    @Inject(AuditService) private readonly audit: AuditService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Everything that failed validation, verbatim with its reason (newest first)' })
  @ApiOkResponse({ schema: pageOf(entityRef(RejectedMessageEntity)) })
  async list(@Query() query: RejectedListQuery) {
    const limit = query.limit ?? 50;
    const offset = query.offset ?? 0;
    const [items, total] = await this.dataSource.getRepository(RejectedMessageEntity).findAndCount({
      where: {
        ...(query.status ? { status: query.status } : {}),
        ...(query.channel ? { channel: query.channel } : {}),
        ...(query.campaignId ? { campaignId: query.campaignId } : {}),
      },
      order: { receivedAt: 'DESC', id: 'ASC' },
      take: limit,
      skip: offset,
    });
    return { items, total, limit, offset };
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
  async replay(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: ReplayDto, @Actor() actor: string, @Req() req: AuthenticatedRequest) {
    const repo = this.dataSource.getRepository(RejectedMessageEntity);
    const message = await repo.findOneBy({ id });
    if (!message) throw new NotFound('rejected message', id);
    if (message.status !== 'pending') throw new IllegalTransition(`rejected message ${id} is ${message.status}`);
    if (message.channel !== 'mqtt' || !message.topic) {
      throw new Invalid(`only MQTT messages can be replayed; re-send ${message.channel} data through its endpoint`);
    }
    const fixed = body?.payload !== undefined;
    const payload = fixed ? Buffer.from(body.payload!, 'utf8') : fromText(message.payload);
    // Authorise what the replay writes: the campaign of the job the payload names (not the stored
    // message's), and for a fixed payload (or an instrument's key) the right to speak for the instrument.
    const key = req.apiKey;
    const speaksForInstrument = fixed || key?.role === 'instrument';
    const authorize = (target: { campaignId: string | null; instrumentId: string }) => {
      const write: WriteTarget = { campaignId: target.campaignId, ...(speaksForInstrument ? { asInstrument: target.instrumentId } : {}) };
      const decision = key ? writeDecision(key, write) : { allowed: false as const, reason: 'no API key' };
      if (!decision.allowed) throw new ForbiddenException({ statusCode: 403, error: 'Forbidden', message: `replay refused: ${decision.reason}` });
    };
    const outcome = await this.gateway.handle(message.topic, payload, { record: false, authorize });
    const result = outcome.ok ? outcome.detail : outcome.reason;
    await repo.update({ id }, { status: outcome.ok ? 'replayed' : 'pending', replayCount: message.replayCount + 1, lastReplayResult: result });
    await this.audit.record({
      entityType: 'rejected_message', entityId: id, campaignId: message.campaignId, action: 'replay',
      fromState: 'pending', toState: outcome.ok ? 'replayed' : 'pending', cause: result, actor,
      details: { fixedPayload: body?.payload !== undefined },
    });
    return { ok: outcome.ok, result, message: await repo.findOneBy({ id }) };
  }

  @Post(':id/dismiss')
  @HttpCode(200)
  @ApiOperation({ summary: 'Dismiss a rejected message (kept on record, no longer pending)' })
  @ApiOkResponse({ schema: entityRef(RejectedMessageEntity) })
  @ApiNotFoundResponse()
  async dismiss(@Param('id', new ParseUUIDPipe()) id: string, @Body() body: DismissDto, @Actor() actor: string) {
    const repo = this.dataSource.getRepository(RejectedMessageEntity);
    const message = await repo.findOneBy({ id });
    if (!message) throw new NotFound('rejected message', id);
    if (message.status !== 'pending') throw new IllegalTransition(`rejected message ${id} is ${message.status}`);
    await repo.update({ id }, { status: 'dismissed', lastReplayResult: body?.reason ?? 'dismissed' });
    await this.audit.record({ entityType: 'rejected_message', entityId: id, action: 'dismiss', fromState: 'pending', toState: 'dismissed', cause: body?.reason ?? null, actor });
    return repo.findOneBy({ id });
  }
}
