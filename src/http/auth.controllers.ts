import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth, ApiConflictResponse, ApiCreatedResponse, ApiForbiddenResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags, ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Actor } from './actor.js';
import { ApiKeysService } from '../services/auth/api-keys.service.js';
import type { AuthenticatedRequest } from './auth.guard.js';
import {
  ApiKeyView, CreateApiKeyDto, CreatedApiKeyView, InstrumentCredentialView, IssuedInstrumentCredentialView, UpdateApiKeyDto,
} from '../services/auth/auth.dto.js';
import { InstrumentCredentialsService } from '../services/auth/instrument-credentials.service.js';
import { ROLES } from '../common/policy.js';

export const BEARER = 'bearer';
export const API_KEY_HEADER = 'api-key';

@ApiTags('access')
@ApiBearerAuth(BEARER)
@ApiSecurity(API_KEY_HEADER)
@ApiUnauthorizedResponse({ description: 'no key, or an unknown, revoked or expired key' })
@ApiForbiddenResponse({ description: 'the key is valid but its role may not do this' })
@Controller('api/v1/api-keys')
export class ApiKeysController {
  constructor(@Inject(ApiKeysService) private readonly keys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key (admin); the key is in the answer once and never again' })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  create(@Body() dto: CreateApiKeyDto, @Actor() actor: string): Promise<CreatedApiKeyView> {
    return this.keys.create(dto, actor);
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (admin), revoked and expired ones included; never the secrets' })
  @ApiOkResponse({ type: ApiKeyView, isArray: true })
  list() {
    return this.keys.list();
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename a key, change the campaigns it is limited to, or its expiry (admin)' })
  @ApiOkResponse({ type: ApiKeyView })
  @ApiNotFoundResponse()
  update(@Param('id') id: string, @Body() dto: UpdateApiKeyDto, @Actor() actor: string): Promise<ApiKeyView> {
    return this.keys.update(id, dto, actor);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Revoke a key (admin): it stops working at once and stays listed as revoked' })
  @ApiOkResponse({ type: ApiKeyView })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'the last active admin key cannot be revoked' })
  revoke(@Param('id') id: string, @Actor() actor: string): Promise<ApiKeyView> {
    return this.keys.revoke(id, actor);
  }
}

@ApiTags('access')
@ApiBearerAuth(BEARER)
@ApiSecurity(API_KEY_HEADER)
@Controller('api/v1')
export class MeController {
  constructor(@Inject(ApiKeysService) private readonly keys: ApiKeysService) {}

  @Get('me')
  @ApiOperation({ summary: 'The calling key: name, role, the campaigns it is limited to (with their names and states), expiry' })
  @ApiOkResponse({
    schema: {
      type: 'object',
      required: ['id', 'name', 'role', 'campaignIds', 'campaigns', 'expiresAt'],
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        role: { type: 'string', enum: [...ROLES] },
        campaignIds: { type: 'array', items: { type: 'string', format: 'uuid' }, nullable: true },
        campaigns: {
          type: 'array',
          nullable: true,
          items: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' }, status: { type: 'string' } } },
        },
        expiresAt: { type: 'string', format: 'date-time', nullable: true },
      },
    },
  })
  @ApiUnauthorizedResponse()
  me(@Req() req: AuthenticatedRequest) {
    return this.keys.me(req.apiKey!);
  }
}

@ApiTags('instruments')
@ApiBearerAuth(BEARER)
@ApiSecurity(API_KEY_HEADER)
@Controller('api/v1/instruments')
export class InstrumentCredentialsController {
  constructor(@Inject(InstrumentCredentialsService) private readonly credentials: InstrumentCredentialsService) {}

  @Post(':id/credentials')
  @ApiOperation({
    summary: 'Issue MQTT credentials for an instrument (admin); replaces earlier ones',
    description: 'Username = the instrument id; the password is in the answer once. Only a hash is stored.',
  })
  @ApiCreatedResponse({ type: IssuedInstrumentCredentialView })
  issue(@Param('id') id: string, @Actor() actor: string): Promise<IssuedInstrumentCredentialView> {
    return this.credentials.issue(id, actor);
  }

  @Get(':id/credentials')
  @ApiOperation({ summary: 'Whether and when credentials were issued (admin); never the password' })
  @ApiOkResponse({ type: InstrumentCredentialView })
  @ApiNotFoundResponse()
  get(@Param('id') id: string): Promise<InstrumentCredentialView> {
    return this.credentials.get(id);
  }

  @Delete(':id/credentials')
  @HttpCode(204)
  @ApiOperation({ summary: 'Withdraw an instrument\'s credentials (admin): its next login fails' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse()
  async withdraw(@Param('id') id: string, @Actor() actor: string): Promise<void> {
    await this.credentials.withdraw(id, actor);
  }
}
