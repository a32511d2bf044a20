import { Catch, Inject, PayloadTooLargeException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { AppConfig } from '../config/config.js';
import { APP_CONFIG } from '../services/tokens.js';

function tooLarge(res: Response, what: string, limitBytes: number, setting = 'MAX_BODY_BYTES'): void {
  res.status(413).json({
    statusCode: 413,
    error: 'Payload Too Large',
    message: `${what} is larger than the limit of ${limitBytes} bytes (${setting})`,
    limitBytes,
  });
}

/**
 * After the body parsers: a body over MAX_BODY_BYTES becomes a JSON 413 (not Express's HTML page),
 * and an unreadable JSON body a JSON 400.
 */
export function bodyErrorHandler(limitBytes: number, setting = 'MAX_BODY_BYTES'): ErrorRequestHandler {
  return (err: { type?: string; status?: number; message?: string } | undefined, _req, res, next) => {
    if (err?.type === 'entity.too.large' || err?.status === 413) return tooLarge(res, 'the request body', limitBytes, setting);
    if (err?.type === 'encoding.invalid' || err?.type === 'shape.invalid') return res.status(400).json({ statusCode: 400, error: 'Bad Request', message: err.message });
    if (err?.type === 'entity.parse.failed') {
      return res.status(400).json({ statusCode: 400, error: 'Bad Request', message: `the body is not valid JSON: ${err.message ?? ''}`.trim() });
    }
    next(err);
  };
}

/**
 * Before the body parsers: a body still arriving `timeoutMs` after the headers (a slow-body socket
 * holding a connection) gets a 408 and its connection is closed. Node's own request timeout is
 * checked only every 30 s and defaults to 5 minutes.
 */
export function bodyTimeout(timeoutMs: number): RequestHandler {
  return (req, res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (!hasBody || req.complete) return next();
    const timer = setTimeout(() => {
      if (req.complete) return;
      if (!res.headersSent) {
        res.setHeader('Connection', 'close');
        res.status(408).json({ statusCode: 408, error: 'Request Timeout', message: `the request body did not arrive within ${timeoutMs} ms` });
      }
      req.socket.destroySoon();
    }, timeoutMs);
    timer.unref();
    const clear = () => clearTimeout(timer);
    req.once('end', clear);
    req.once('close', clear);
    res.once('finish', clear);
    next();
  };
}

/** Multer's "File too large" (an upload over MAX_BODY_BYTES) as a clear 413. */
@Catch(PayloadTooLargeException)
export class PayloadTooLargeFilter implements ExceptionFilter {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  catch(_exception: PayloadTooLargeException, host: ArgumentsHost): void {
    tooLarge(host.switchToHttp().getResponse<Response>(), 'the upload', this.config.http.maxBodyBytes);
  }
}
