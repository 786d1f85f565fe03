import { isHeaderName } from '../../src/replayable.ts';

/** What the event sources read of a header collection: a `Headers` or a {@link HeaderList}. */
export interface HeaderReader {
  get(name: string): string | null;
  has(name: string): boolean;
  getSetCookie(): string[];
  /** Sorted by name, repeated headers combined with `, `, each `Set-Cookie` on its own. */
  [Symbol.iterator](): IterableIterator<[string, string]>;
}

// Leading and trailing HTTP whitespace is stripped from a value, as `Headers` does.
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
// What `Headers` refuses in a value once trimmed: NUL, CR, LF.
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;
// A WebIDL ByteString holds only Latin-1 code units; `Headers` throws on anything else.
const NOT_LATIN1 = /[^\0-\xff]/;

/**
 * Headers as `Headers` keeps them, without loading undici: in Node, the first `Headers`,
 * `Request` or `Response` of a process loads it (about 50 ms here), which a Lambda handler
 * that never touches them should not pay on its cold start. It accepts and refuses exactly the
 * names and values `Headers` does (a `TypeError`), and reads back the same: `get` joins repeated
 * values with `, `, iteration is sorted by lower-case name. `test/lambda/native.test.ts`
 * compares the two on the same inputs.
 */
export class HeaderList implements HeaderReader {
  readonly #values = new Map<string, string[]>();

  append(name: string, value: string): void {
    checkName(name);
    const trimmed = value.replace(EDGE_WHITESPACE, '');
    if (NOT_LATIN1.test(trimmed) || FORBIDDEN_IN_VALUE.test(trimmed)) {
      throw new TypeError(`invalid value for header ${name}`);
    }
    const key = name.toLowerCase();
    const values = this.#values.get(key);
    if (values) values.push(trimmed);
    else this.#values.set(key, [trimmed]);
  }

  /** Replace every value of `name` (checked as `append` checks it). */
  set(name: string, value: string): void {
    const key = name.toLowerCase();
    const previous = this.#values.get(key);
    this.#values.delete(key);
    try {
      this.append(name, value);
    } catch (error) {
      if (previous) this.#values.set(key, previous);
      throw error;
    }
  }

  delete(name: string): void {
    checkName(name);
    this.#values.delete(name.toLowerCase());
  }

  get(name: string): string | null {
    checkName(name);
    return this.#values.get(name.toLowerCase())?.join(', ') ?? null;
  }

  has(name: string): boolean {
    checkName(name);
    return this.#values.has(name.toLowerCase());
  }

  getSetCookie(): string[] {
    return [...(this.#values.get('set-cookie') ?? [])];
  }

  *[Symbol.iterator](): IterableIterator<[string, string]> {
    for (const name of [...this.#values.keys()].sort()) {
      const values = this.#values.get(name) as string[];
      if (name === 'set-cookie') for (const value of values) yield [name, value];
      else yield [name, values.join(', ')];
    }
  }
}

function checkName(name: string): void {
  if (!isHeaderName(name)) throw new TypeError(`invalid header name: ${name}`);
}
