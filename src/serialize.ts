/** How `idempotent(fn)` turns results into stored text and back. */
export interface ResultSerializer<R> {
  serialize(value: R): string;
  deserialize(text: string): R;
}

/** JSON, with `undefined` (a function that returns nothing) kept as the empty string. */
export const jsonSerializer: ResultSerializer<unknown> = {
  serialize: (value) => (value === undefined ? '' : JSON.stringify(value)),
  deserialize: (text) => (text === '' ? undefined : JSON.parse(text)),
};

/** JSON of a value with object keys sorted, so equal arguments always hash the same. */
export function stableStringify(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (typeof v === 'bigint') return `${v}n`;
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return v;
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map((k) => [k, (v as Record<string, unknown>)[k]]),
      );
    }) ?? 'undefined'
  );
}

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
}

type ErrorClass = new (...args: never[]) => Error;

const BUILT_IN_ERRORS: ErrorClass[] = [
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
];

/** An error as stored for `onFailure: 'keep'`: its name, message, stack and own JSON-safe fields. */
export function serializeError(error: unknown): string {
  if (!(error instanceof Error))
    return JSON.stringify({ name: 'Error', message: String(error), props: { thrown: safe(error) } });
  const props: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error))
    if (key !== 'name' && key !== 'message') props[key] = safe(value);
  return JSON.stringify({
    name: error.name,
    message: error.message,
    stack: error.stack,
    props,
  } satisfies SerializedError);
}

/**
 * Rebuild a stored error as an instance of its class: one of `classes` (matched by name) or a
 * built-in; anything else comes back as an `Error` with the original name.
 */
export function reviveError(text: string, classes: readonly ErrorClass[]): Error {
  const data = JSON.parse(text) as SerializedError;
  const Class = [...classes, ...BUILT_IN_ERRORS].find((c) => c.name === data.name) ?? Error;
  const error = Object.create(Class.prototype) as Error;
  Object.assign(error, data.props);
  Object.defineProperties(error, {
    message: { value: data.message, writable: true, configurable: true },
    name: { value: data.name, writable: true, configurable: true },
    stack: { value: data.stack ?? `${data.name}: ${data.message}`, writable: true, configurable: true },
  });
  return error;
}

function safe(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value) ?? 'null');
  } catch {
    return String(value);
  }
}
