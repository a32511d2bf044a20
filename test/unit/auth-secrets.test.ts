import { describe, expect, it } from 'vitest';
import {
  API_KEY_PATTERN, apiKeyMatches, generateApiKey, hashApiKey, mosquittoHash, parseApiKey, safeEqual, verifyMosquittoHash,
} from '../../src/common/secrets.js';

describe('API key tokens', () => {
  it('are aimd_<12 id chars>_<43 base64url chars>, 256 random bits, with only a SHA-256 kept', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.token).toMatch(API_KEY_PATTERN);
    expect(a.token).toMatch(/^aimd_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
    expect(a.token.startsWith(`aimd_${a.keyId}_`)).toBe(true);
    expect(a.token).not.toBe(b.token);
    expect(a.keyId).not.toBe(b.keyId);
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(a.hash).toBe(hashApiKey(a.token));
    expect(a.hash).not.toContain(a.token.slice(18));
  });

  it('parse only well-formed tokens and keep the id visible', () => {
    const { keyId, token } = generateApiKey();
    expect(parseApiKey(token)).toEqual({ keyId, token });
    for (const bad of ['', 'aimd_', `aimd_${keyId}_short`, `AIMD_${keyId}_${'x'.repeat(43)}`, `aimd_${keyId.toUpperCase()}_${'x'.repeat(43)}`, `Bearer ${token}`, `${token} `, `${token}\n`]) {
      expect(parseApiKey(bad), bad).toBeNull();
    }
  });

  it('match their hash and nothing else (constant-time comparison)', () => {
    const { token, hash } = generateApiKey();
    expect(apiKeyMatches(token, hash)).toBe(true);
    expect(apiKeyMatches(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'), hash)).toBe(false);
    expect(apiKeyMatches(token, hash.slice(0, 10))).toBe(false);
    expect(apiKeyMatches(token, '')).toBe(false);
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'abcd')).toBe(false);
  });
});

describe('mosquitto_passwd $7$ hashes (PBKDF2-SHA512)', () => {
  it('verifies a hash written by mosquitto_passwd 2.0', () => {
    // `mosquitto_passwd -c -b pw.txt inst1 secretpw`
    const line = '$7$101$G2gS2mXxTyaDB31m$gbhdD1tLAF1tEiCWb3ujtBcn34Fzswo2F0l6Co8rC47h21YrowTDB6mYmX9iIM3JuaiTTwsEzhjOCrcY8tXFvQ==';
    expect(verifyMosquittoHash('secretpw', line)).toBe(true);
    expect(verifyMosquittoHash('secretpw ', line)).toBe(false);
  });

  it('writes the same format: $7$<iterations>$<12-byte salt>$<64-byte hash>, salted anew each time', () => {
    const salt = Buffer.from('G2gS2mXxTyaDB31m', 'base64');
    expect(mosquittoHash('secretpw', { salt, iterations: 101 })).toBe(
      '$7$101$G2gS2mXxTyaDB31m$gbhdD1tLAF1tEiCWb3ujtBcn34Fzswo2F0l6Co8rC47h21YrowTDB6mYmX9iIM3JuaiTTwsEzhjOCrcY8tXFvQ==',
    );
    const a = mosquittoHash('pw');
    expect(a).toMatch(/^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(mosquittoHash('pw')).not.toBe(a);
    expect(verifyMosquittoHash('pw', a)).toBe(true);
  });

  it('refuses malformed stored hashes instead of throwing', () => {
    for (const bad of ['', 'plain', '$6$abc$def', '$7$0$c2FsdA==$aGFzaA==', '$7$101$$aGFzaA==', '$7$101$c2FsdA==$aGFzaA==', '$7$x$y$z']) {
      expect(verifyMosquittoHash('pw', bad), bad).toBe(false);
    }
  });
});
