/**
 * Plain functions for secrets: API key tokens (`aimd_<keyId>_<secret>`, SHA-256 at rest, compared in
 * constant time) and instrument MQTT passwords (mosquitto_passwd `$7$` PBKDF2-SHA512 at rest, so the
 * same stored hash serves the embedded broker and Mosquitto's password file).
 */
import { createHash, pbkdf2Sync, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

const KEY_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export const KEY_ID_LENGTH = 12;
/** `aimd_` + 12 lowercase letters/digits + `_` + at least 32 base64url characters. */
export const API_KEY_PATTERN = /^aimd_([a-z0-9]{12})_([A-Za-z0-9_-]{32,128})$/;

export interface ParsedApiKey {
  keyId: string;
  token: string;
}

export function newKeyId(): string {
  let id = '';
  for (let i = 0; i < KEY_ID_LENGTH; i++) id += KEY_ID_ALPHABET[randomInt(KEY_ID_ALPHABET.length)];
  return id;
}

/** A new API key: 256 random bits behind a visible id. The token is shown once and never stored. */
export function generateApiKey(keyId: string = newKeyId()): { keyId: string; token: string; hash: string } {
  const token = `aimd_${keyId}_${randomBytes(32).toString('base64url')}`;
  return { keyId, token, hash: hashApiKey(token) };
}

export function parseApiKey(token: string): ParsedApiKey | null {
  const m = API_KEY_PATTERN.exec(token);
  return m ? { keyId: m[1], token } : null;
}

/** Hex SHA-256 of the whole token (the secret has 256 bits of entropy, so no salt or stretching is needed). */
export function hashApiKey(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time comparison of a presented token with a stored hash. */
export function apiKeyMatches(token: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(token), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}

/** Constant-time equality of two strings (different lengths compare unequal without leaking where). */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** A random password for an instrument or the service's own broker client. */
export function generatePassword(): string {
  return randomBytes(32).toString('base64url');
}

/** Mosquitto's default PBKDF2 iteration count (mosquitto_passwd 2.x writes `$7$101$...`). */
export const MOSQUITTO_ITERATIONS = 101;

/** mosquitto_passwd's `$7$` format: PBKDF2-SHA512, 12-byte salt, 64-byte hash, both base64. */
export function mosquittoHash(password: string, options: { iterations?: number; salt?: Buffer } = {}): string {
  const iterations = options.iterations ?? MOSQUITTO_ITERATIONS;
  const salt = options.salt ?? randomBytes(12);
  const hash = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return `$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyMosquittoHash(password: string, stored: string): boolean {
  const parts = stored.split('$');
  // ['', '7', iterations, salt, hash]
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== '7') return false;
  const iterations = Number(parts[2]);
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1_000_000) return false;
  const salt = Buffer.from(parts[3], 'base64');
  const expected = Buffer.from(parts[4], 'base64');
  if (salt.length === 0 || expected.length !== 64) return false;
  const actual = pbkdf2Sync(password, salt, iterations, 64, 'sha512');
  return timingSafeEqual(actual, expected);
}
