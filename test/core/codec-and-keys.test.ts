import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pathAndSearch } from '../../src/fingerprint.ts';
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

describe('the path and query a fingerprint takes', () => {
  // Read off the Request's serialized URL instead of parsing it: must equal what URL answers,
  // or records written before would stop matching their retries.
  const urlPart = fc.string({
    unit: fc.constantFrom(...'aZ09/.-_~%?#:@!$&\'()*+,;=[]| é€\\^`{}<>"'.split(''), '..', '%2e', '%zz', '😀'),
    maxLength: 24,
  });
  const base = fc.constantFrom(
    'https://api.example.com',
    'http://user:pa%20ss@localhost:8080',
    'HTTPS://Example.COM:443',
    'http://[::1]',
    'https://xn--bcher-kva.example',
  );

  // A Request's url is its URL serialized, as URL#href serializes it (with credentials too).
  it('equals URL#pathname and URL#search for any serialized URL', () => {
    fc.assert(
      fc.property(base, urlPart, (origin, rest) => {
        if (!URL.canParse(origin + rest)) return;
        const href = new URL(origin + rest).href;
        const url = new URL(href);
        expect(pathAndSearch(href)).toEqual([url.pathname, url.search]);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    'https://a.example',
    'https://a.example/?',
    'https://a.example/p?#f',
    'https://a.example/p#f?x',
    'https://a.example/p?q#f?g',
    'http://a.example:81/x/../y?%3F',
    'HTTP://A.example/%7e/ü?ü',
    'data:text/plain,hi?x',
  ])('reads them off the url of a Request for %s', (href) => {
    const { url } = new Request(href);
    expect(pathAndSearch(url)).toEqual([new URL(url).pathname, new URL(url).search]);
  });
});
