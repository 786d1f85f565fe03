import { IdempotencyConfigurationError } from './errors.ts';

/**
 * Encode a function's arguments as one canonical text in which arguments that differ never
 * meet: `undefined` is not `null`, `NaN` is not `Infinity`, `-0` is not `0`, `1n` is not `"1"`,
 * a `Map` or `Set` keeps its entries (in a canonical order), and object keys are sorted. What
 * has no faithful encoding (a function, a symbol, a cycle, a class instance without `toJSON`)
 * is refused with an {@link IdempotencyConfigurationError} naming where it is: pass a `key`
 * for such calls. It is the key `idempotent(fn)` uses for a call without a custom `key`.
 */
export const argumentsKey = (args: readonly unknown[]): string => encode(args, 'arguments', new Set());

function encode(value: unknown, path: string, seen: Set<object>): string {
  switch (typeof value) {
    case 'undefined':
      return 'u';
    case 'boolean':
      return value ? 't' : 'f';
    case 'number':
      return Object.is(value, -0) ? 'n-0' : `n${value}`;
    case 'bigint':
      return `i${value}`;
    case 'string':
      // JSON escapes lone surrogates, so the text stays well-formed and distinct.
      return `s${JSON.stringify(value)}`;
    case 'object':
      if (value === null) return 'z';
      return encodeObject(value, path, seen);
    default:
      throw unencodable(path, `a ${typeof value}`);
  }
}

function encodeObject(value: object, path: string, seen: Set<object>): string {
  if (seen.has(value)) throw unencodable(path, 'a circular reference');
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const items: string[] = [];
      for (let i = 0; i < value.length; i++) items.push(encode(value[i], `${path}[${i}]`, seen));
      return `[${items.join(',')}]`;
    }
    if (value instanceof Date) return `d${value.getTime()}`;
    if (value instanceof Map) {
      const entries = [...value].map(
        ([k, v], i) => `${encode(k, `${path}<key ${i}>`, seen)}:${encode(v, `${path}<value ${i}>`, seen)}`,
      );
      return `M{${entries.sort().join(',')}}`;
    }
    if (value instanceof Set) {
      const items = [...value].map((item, i) => encode(item, `${path}<item ${i}>`, seen));
      return `S{${items.sort().join(',')}}`;
    }
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return encodeBytes(value);
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const toJSON = (value as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return `j${encode(toJSON.call(value), `${path}.toJSON()`, seen)}`;
      throw unencodable(path, `a ${proto?.constructor?.name ?? 'class'} instance`);
    }
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${encode(record[k], `${path}.${k}`, seen)}`).join(',')}}`;
  } finally {
    seen.delete(value);
  }
}

function encodeBytes(value: ArrayBufferView | ArrayBuffer): string {
  const bytes =
    value instanceof ArrayBuffer
      ? new Uint8Array(value)
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  let hex = '';
  for (const byte of bytes) hex += (byte < 16 ? '0' : '') + byte.toString(16);
  return `b${value.constructor.name}:${hex}`;
}

function unencodable(path: string, what: string): IdempotencyConfigurationError {
  return new IdempotencyConfigurationError(
    `${path} is ${what}, which has no stable encoding for the default key: give idempotent(fn) a \`key\``,
  );
}
