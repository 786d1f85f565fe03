/**
 * The fingerprint reads the path and query off `Request#url` rather than parsing it again: that
 * must give exactly what `URL#pathname` and `URL#search` give, for the URLs each runtime
 * serializes. Imports nothing but vitest and the core, so it runs in Node and in workerd.
 */
import { describe, expect, it } from 'vitest';
import { pathAndQuery } from '../../src/fingerprint.ts';

const URLS = [
  'https://api.example.com',
  'https://api.example.com/',
  'https://api.example.com?',
  'https://api.example.com/orders?',
  'https://api.example.com/orders?#',
  'https://api.example.com/orders#?q',
  'https://api.example.com/orders?a=1&b=%20#frag',
  'https://api.example.com/a/./b/../c//d;e?f?g#h#i',
  'https://api.example.com/%2e%2e/x/%2E/y',
  'https://api.example.com/a b?c d#e f',
  'https://api.example.com\\a\\b?c',
  'https://bücher.example/ä?ö=ü',
  'HTTPS://API.EXAMPLE.COM:443/Orders',
  'http://[::1]:8080/v1/orders?limit=10',
  'http://127.0.0.1:80',
  'https://api.example.com/?%',
  'https://api.example.com/\u0000\t\n?x',
];

/** Deterministic URLs built of the characters that delimit the parts. */
function* generated(count: number): Generator<string> {
  const alphabet = '/?#@:%.\\a2eE[]; ';
  let seed = 1;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed;
  };
  for (let i = 0; i < count; i++) {
    let url = 'https://h.example';
    const length = next() % 16;
    for (let j = 0; j < length; j++) url += alphabet[next() % alphabet.length];
    yield url;
  }
}

export function describeRequestUrlParts(runtime: string): void {
  describe(`the path and query of Request#url on ${runtime}`, () => {
    it('are what URL#pathname and URL#search give', () => {
      let checked = 0;
      for (const input of [...URLS, ...generated(5000)]) {
        let href: string;
        try {
          href = new Request(input).url;
        } catch {
          continue; // not a URL a Request takes
        }
        const url = new URL(href);
        expect(pathAndQuery(href), href).toEqual({ pathname: url.pathname, search: url.search });
        checked++;
      }
      expect(checked).toBeGreaterThan(4000);
    });

    it('parse a URL of any other scheme', () => {
      expect(pathAndQuery('urn:example:a?b#c')).toMatchObject({ pathname: 'example:a', search: '?b' });
    });
  });
}
