import type { Response } from 'express';

const texts = new WeakMap<object, string>();

/**
 * JSON text of an object served many times unchanged (a cached page or report), stringified once:
 * under 100 polling clients, serialising the same answer per request was the largest cost left
 * (bench:load). The object must not change after its first serialisation.
 */
export function jsonOnce(value: object): string {
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

/** Answer with a cached object's JSON text (status 200). */
export function sendJsonOnce(res: Response, value: object): void {
  res.type('application/json').send(jsonOnce(value));
}
