/**
 * The Lua scripts of {@link UpstashStore}, with their SHA-1 so a call is one `EVALSHA` (the
 * store falls back to `EVAL` once per script after `NOSCRIPT`, e.g. after a Redis restart).
 * A test recomputes each SHA-1 from its source.
 *
 * Values are ASCII strings (see `record-value.ts`): `P|expiresAt|fingerprint|token` while in
 * progress, `C|expiresAt|fingerprint|base64(response)` once completed. Expiry is Redis `PX`, so
 * a lease that ran out is simply an absent key.
 */
export interface LuaScript {
  readonly source: string;
  readonly sha1: string;
}

/**
 * KEYS[1] record key; ARGV[1] in-progress value; ARGV[2] lease in ms. Answers `A` when taken,
 * else the live record (without its token). Keeps: at most one live holder per key, decided in
 * one atomic step, and a holder whose lease ran out (key gone by PX) never blocks the next. A live
 * lock with ARGV[1]'s token is this very begin, retried by the client after a lost answer: ours.
 */
export const BEGIN: LuaScript = {
  source: `local current = redis.call('GET', KEYS[1])
if current then
  local token = '^P|[^|]*|[^|]*|(.*)$'
  if string.match(current, token) == string.match(ARGV[1], token) then return 'A' end
  return string.match(current, '^P|[^|]*|[^|]*') or current
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 'A'`,
  sha1: 'efe31a3d512e0761ecba85e227b788e5ce9576c7',
};

/**
 * KEYS[1] record key; ARGV[1] token; ARGV[2] expiresAt; ARGV[3] base64 response; ARGV[4] TTL in
 * ms. Answers 1 when completed, 0 otherwise. Keeps: only the live holder's token turns the lock
 * into a completed record; a holder that outlived its lease finds no key or a newer token.
 */
export const COMPLETE: LuaScript = {
  source: `local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local fingerprint, token = string.match(current, '^P|[^|]*|([^|]*)|(.*)$')
if token ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'C|' .. ARGV[2] .. '|' .. fingerprint .. '|' .. ARGV[3], 'PX', ARGV[4])
return 1`,
  sha1: '5762b57f86dd4838d78632d31525018852bb8f06',
};

/**
 * KEYS[1] record key; ARGV[1] token. Answers 1 when deleted, 0 otherwise. Keeps: only the live
 * holder's token frees a lock, and a completed record is never released.
 */
export const RELEASE: LuaScript = {
  source: `local current = redis.call('GET', KEYS[1])
if not current then return 0 end
if string.match(current, '^P|[^|]*|[^|]*|(.*)$') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1`,
  sha1: '760e5e00740e25d4ff80fac8cbde12b0afdaa3b8',
};
