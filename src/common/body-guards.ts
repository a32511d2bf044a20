import type { RequestHandler } from 'express';

/** Content types the API reads (JSON, CSV/plain text, multipart uploads). */
const READABLE = /^(application\/(json|[\w.+-]+\+json)|text\/(csv|plain)|multipart\/form-data)\b/i;

/**
 * A request body the API cannot read is a 415, not silently ignored: without this an action whose
 * body is optional (pause, approve, PATCH) ran as if no body had been sent when the body was, say,
 * XML or a form (found by test/integration/fuzz.test.ts).
 */
export function unsupportedMediaTypeGuard(): RequestHandler {
  return (req, res, next) => {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    const type = req.headers['content-type'] ?? '';
    if (hasBody && !READABLE.test(type)) {
      res.status(415).json({
        statusCode: 415, error: 'Unsupported Media Type',
        message: `cannot read a body of type "${type || 'none'}": send application/json, text/csv or multipart/form-data`,
      });
      return;
    }
    next();
  };
}

/**
 * NUL characters anywhere in the body or query string are a 400. JSON nested deeper than `maxDepth` is a 400: validation and transformation walk the body
 * recursively, and a few thousand levels overflowed the stack into a 500 (found by the fuzz test).
 */
export function jsonDepthGuard(maxDepth = 64): RequestHandler {
  const bad = (res: Parameters<RequestHandler>[1], message: string) => res.status(400).json({ statusCode: 400, error: 'Bad Request', message });
  return (req, res, next) => {
    // NUL characters: PostgreSQL text and jsonb cannot hold them (the insert or query failed with a 500).
    if (/%00/.test(req.originalUrl)) return bad(res, 'the URL contains a NUL character');
    const body: unknown = req.body;
    if (typeof body === 'string' && body.includes('\u0000')) return bad(res, 'the body contains a NUL character');
    if (body === null || typeof body !== 'object') return next();
    const stack: [unknown, number][] = [[body, 1]];
    while (stack.length > 0) {
      const [value, depth] = stack.pop()!;
      if (depth > maxDepth) return bad(res, `the body nests deeper than ${maxDepth} levels`);
      for (const [key, child] of Object.entries(value as object)) {
        if (key.includes('\u0000') || (typeof child === 'string' && child.includes('\u0000'))) return bad(res, 'the body contains a NUL character');
        if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
      }
    }
    next();
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Body parser `verify`: invalid UTF-8 is a 400 instead of being stored with U+FFFD replacement
 * characters in place of the bytes that were sent (found by the fuzz test).
 */
export function strictUtf8(_req: unknown, _res: unknown, buf: Buffer): void {
  try {
    utf8.decode(buf);
  } catch {
    throw Object.assign(new Error('the body is not valid UTF-8'), { status: 400, type: 'entity.parse.failed' });
  }
}
