import type { RequestHandler } from 'express';
import { Invalid } from '../common/errors.js';

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
export function jsonDepthGuard(maxDepth = MAX_JSON_DEPTH): RequestHandler {
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
    throw Object.assign(new Error(NOT_UTF8), { status: 400, type: 'encoding.invalid' });
  }
}
export const NOT_UTF8 = 'the body is not valid UTF-8';

/** Deepest nesting a JSON body may have (validation walks it recursively). */
export const MAX_JSON_DEPTH = 64;
/** Most members one JSON object may have (no DTO, row or document object comes near; arrays are bounded by the body size only). */
export const MAX_OBJECT_MEMBERS = 10_000;

/**
 * A cheap pass over the raw JSON bytes before JSON.parse: nesting deeper than MAX_JSON_DEPTH or an
 * object wider than MAX_OBJECT_MEMBERS is refused (400) before parsing and validation spend
 * seconds of the event loop on it (a 7 MB object of single-letter keys held it for 13 s).
 * Returns the problem, or null. Strings are skipped with their escapes; the bytes are not validated
 * as JSON here (the parser does that).
 */
export function jsonShapeProblem(buf: Buffer, maxDepth = MAX_JSON_DEPTH, maxMembers = MAX_OBJECT_MEMBERS): string | null {
  const members: number[] = []; // per open container: commas seen (objects only; -1 marks an array)
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      members.push(c === 0x7b ? 0 : -1);
      if (members.length > maxDepth) return `the body nests deeper than ${maxDepth} levels`;
    } else if (c === 0x7d || c === 0x5d) members.pop();
    else if (c === 0x2c) {
      const top = members.length - 1;
      if (top >= 0 && members[top] >= 0 && ++members[top] >= maxMembers) return `an object in the body has more than ${maxMembers} members`;
    }
  }
  return null;
}

/** Body parser `verify` for JSON: valid UTF-8, then the shape pre-check (both before parsing). */
export function checkJsonBody(req: unknown, res: unknown, buf: Buffer): void {
  strictUtf8(req, res, buf);
  const problem = jsonShapeProblem(buf);
  if (problem) throw Object.assign(new Error(problem), { status: 400, type: 'shape.invalid' });
}

/**
 * An uploaded file as text, with the body parsers' rules: invalid UTF-8 and NUL characters are a
 * 400 naming the file (a multipart upload bypasses the parsers: NUL gave a 500, invalid UTF-8 was
 * stored mangled).
 */
export function uploadedText(buf: Buffer, name: string): string {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    throw new Invalid(`the uploaded file ${name} is not valid UTF-8 (save it as UTF-8 CSV or JSON)`);
  }
  if (text.includes('\u0000')) throw new Invalid(`the uploaded file ${name} contains a NUL character`);
  return text;
}
