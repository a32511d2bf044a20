import { BadRequestException, ConflictException, NotFoundException } from '@nestjs/common';

/** Errors with the HTTP status they deserve; services throw these, Nest renders them. */
export class NotFound extends NotFoundException {
  constructor(what: string, id: string) {
    super({ statusCode: 404, error: 'Not Found', message: `${what} ${id} does not exist` });
  }
}

export class IllegalTransition extends ConflictException {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super({ statusCode: 409, error: 'Conflict', message: reason, ...details });
  }
}

export class Invalid extends BadRequestException {
  constructor(message: string, problems: unknown[] = []) {
    super({ statusCode: 400, error: 'Bad Request', message, problems });
  }
}
