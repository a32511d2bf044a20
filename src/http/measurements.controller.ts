import { Body, Controller, Get, Inject, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiOperation, ApiTags, ApiOkResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiBadRequestResponse } from '@nestjs/swagger';
import { Actor } from './actor.js';
import { CorrectionDto } from '../services/lab/result-entry.dto.js';
import { TechnicianEntryService } from '../services/lab/technician-entry.service.js';
import { arrayOf, entityRef } from './openapi.js';
import { MeasurementEntity } from '../repositories/entities/measurement.entity.js';

@ApiTags('measurements')
@Controller('api/v1/measurements')
export class MeasurementsController {
  constructor(@Inject(TechnicianEntryService) private readonly entries: TechnicianEntryService) {}

  @Post(':id/corrections')
  @ApiOperation({ summary: 'Correct a measurement: a new revision; the corrected one stays in the history' })
  @ApiCreatedResponse({ schema: entityRef(MeasurementEntity), description: 'the new revision' })
  @ApiBadRequestResponse({ description: 'invalid correction, with the reasons' })
  @ApiConflictResponse({ description: 'not the latest revision' })
  correct(@Param('id', new ParseUUIDPipe()) id: string, @Body() dto: CorrectionDto, @Actor() actor: string) {
    return this.entries.correct(id, dto, actor);
  }

  @Get(':id/history')
  @ApiOperation({ summary: 'All revisions of a measurement, oldest first' })
  @ApiOkResponse({ schema: arrayOf(entityRef(MeasurementEntity)) })
  @ApiNotFoundResponse()
  history(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.entries.history(id);
  }
}
