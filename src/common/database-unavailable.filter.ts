import { Catch, type ArgumentsHost } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { Response } from 'express';

/** Seconds a client should wait before trying again while the database is unreachable. */
export const DATABASE_RETRY_AFTER_S = 5;

/** PostgreSQL error classes 08 (connection exception) and 57P (operator intervention: shutdown). */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3])/;
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH']);
const UNAVAILABLE_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|the database system is (starting up|shutting down)|Client has encountered a connection error/i;

/** Whether an error means "PostgreSQL cannot be reached now" rather than "this request is wrong". */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let e = error as { code?: unknown; driverError?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    const code = typeof e.code === 'string' ? e.code : '';
    if (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_NODE_CODES.has(code)) return true;
    if (typeof e.message === 'string' && UNAVAILABLE_MESSAGES.test(e.message)) return true;
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return false;
}

/**
 * A request that failed because the database is down answers 503 with Retry-After (robots and
 * the dashboard retry; nothing was stored), not a bare 500. Everything else goes to Nest's
 * default handling.
 */
@Catch()
export class DatabaseUnavailableFilter extends BaseExceptionFilter {
  override catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() === 'http' && isDatabaseUnavailable(exception)) {
      const res = host.switchToHttp().getResponse<Response>();
      if (!res.headersSent) {
        res.status(503).set('Retry-After', String(DATABASE_RETRY_AFTER_S)).json({
          statusCode: 503,
          error: 'Service Unavailable',
          message: `the database is unavailable; nothing was changed, retry in ${DATABASE_RETRY_AFTER_S} s`,
        });
        return;
      }
    }
    super.catch(exception, host);
  }
}
