/**
 * A receiver's `Retry-After` (RFC 9110 §10.2.3): delta seconds or an HTTP date. Returns the wait in
 * milliseconds from `now`, or null when the header is absent or unreadable (then the schedule alone decides).
 */
export function retryAfterMs(header: string | null | undefined, now: number): number | null {
  const value = header?.trim();
  if (!value) return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at) || !/[a-z]/i.test(value)) return null;
  return Math.max(0, at - now);
}

/** The statuses whose Retry-After Keyway honours. */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);
