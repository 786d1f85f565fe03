import { describe, expect, it } from 'vitest';
import { lengthPrefixed, storageKey } from '../../src/hashing.ts';
import { InvalidIdempotencyKeyError, parseIdempotencyKey, type StoredResponse } from '../../src/index.ts';
import {
  assertRecord,
  CorruptRecordError,
  decodeStoredResponse,
  encodeStoredResponse,
} from '../../src/record-codec.ts';

describe('parseIdempotencyKey', () => {
  it.each([
    ['abc', 'abc'],
    ['  abc\t', 'abc'],
    ['"abc"', 'abc'],
    ['"a\\"b\\\\c"', 'a"b\\c'],
    ['"k";v=1', 'k'],
    ['"k"; a="x;y";final;n=1.5;t=tok;b=?1;y=:AQ==:', 'k'],
    ['550e8400-e29b-41d4-a716-446655440000', '550e8400-e29b-41d4-a716-446655440000'],
    ['with space', 'with space'],
  ])('reads %j as %j', (header, key) => {
    expect(parseIdempotencyKey(header)).toBe(key);
  });

  it.each([
    '',
    '""',
    '"',
    '"abc',
    'a"bc',
    '"abc" x',
    // Two field lines that only combine into a valid value: `"a` and `b"`.
    '"a, b"',
    '"a,b"',
    '"k";V=1',
    '"k";v=',
    '"a\\x"',
    'a,b',
    'caf\u00e9',
    '\u0000',
    'x'.repeat(256),
  ])('rejects %j', (header) => {
    expect(() => parseIdempotencyKey(header)).toThrow(InvalidIdempotencyKeyError);
  });
});

describe('storage keys', () => {
  it('do not collide through concatenation', async () => {
    expect(await storageKey('', 'ab', 'c')).not.toBe(await storageKey('', 'a', 'bc'));
    expect(await storageKey('', '', 'abc')).not.toBe(await storageKey('', 'abc', ''));
    expect(lengthPrefixed(['ab', 'c'])).not.toEqual(lengthPrefixed(['a', 'bc']));
  });

  it('are the prefix and a SHA-256, the same for the same input', async () => {
    expect(await storageKey('p:', 's', 'k')).toMatch(/^p:[0-9a-f]{64}$/);
    expect(await storageKey('p:', 's', 'k')).toBe(await storageKey('p:', 's', 'k'));
  });
});

describe('the stored response codec', () => {
  const response: StoredResponse = {
    status: 201,
    headers: [
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['x-latin', 'caf\u00e9'],
    ],
    body: Uint8Array.of(0xff, 0x00, 0xef, 0xbb, 0xbf),
  };

  it('round-trips headers, binary bodies and a missing body', () => {
    expect(decodeStoredResponse(encodeStoredResponse(response))).toEqual(response);
    const notRetained = { ...response, body: null };
    expect(decodeStoredResponse(encodeStoredResponse(notRetained))).toEqual(notRetained);
  });

  it('rejects truncated, foreign and invalid bytes', () => {
    const bytes = encodeStoredResponse(response);
    for (const bad of [
      bytes.subarray(0, 3),
      bytes.subarray(0, 12),
      Uint8Array.of(9, 0, 0, 200, 0, 0),
      Uint8Array.of(1, 0, 0, 42, 0, 0),
    ]) {
      expect(() => decodeStoredResponse(bad)).toThrow(CorruptRecordError);
    }
  });

  it('validates records', () => {
    const fingerprint = 'a'.repeat(64);
    expect(() => assertRecord({ state: 'in_progress', fingerprint, expiresAt: 1 })).not.toThrow();
    for (const bad of [
      null,
      'x',
      { state: 'done', fingerprint, expiresAt: 1 },
      { state: 'in_progress', fingerprint: 'short', expiresAt: 1 },
      { state: 'in_progress', fingerprint, expiresAt: 'soon' },
      { state: 'completed', fingerprint, expiresAt: 1 },
      { state: 'completed', fingerprint, expiresAt: 1, response: { status: 99, headers: [], body: null } },
      {
        state: 'completed',
        fingerprint,
        expiresAt: 1,
        response: { status: 200, headers: [['a']], body: null },
      },
      { state: 'completed', fingerprint, expiresAt: 1, response: { status: 200, headers: [], body: 'text' } },
    ]) {
      expect(() => assertRecord(bad)).toThrow(CorruptRecordError);
    }
  });
});
