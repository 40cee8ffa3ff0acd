import { types } from "pg";

const TIMESTAMPTZ = 1184;
const parseWithPostgresDate = types.getTypeParser(TIMESTAMPTZ, "text") as (text: string) => Date | number | null;

function digits(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * `timestamptz` as PostgreSQL writes it with DateStyle ISO, "2026-11-23 21:28:31.337412+00"
 * (any offset, to the second), read by position: every list row carries several, and pg's
 * regular-expression parser was the costliest step of reading a page. Milliseconds are
 * truncated, as a Date holds them. Anything else (BC, years before 1000 or past 9999,
 * infinity) goes to pg's own parser.
 */
export function parseTimestamptz(text: string): Date | number | null {
  if (text.length < 22 || text.charCodeAt(4) !== 45 || text.charCodeAt(10) !== 32 || text.charCodeAt(13) !== 58) {
    return parseWithPostgresDate(text);
  }
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    let end = i + 1;
    while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end++;
    const fraction = text.slice(i + 1, Math.min(end, i + 4)).padEnd(3, "0");
    ms = digits(fraction, 0, 3);
    i = end;
  }
  const sign = text.charCodeAt(i) === 43 ? 1 : text.charCodeAt(i) === 45 ? -1 : 0;
  let offsetSeconds = digits(text, i + 1, i + 3) * 3600;
  i += 3;
  for (const unit of [60, 1]) {
    if (text.charCodeAt(i) !== 58) break;
    offsetSeconds += digits(text, i + 1, i + 3) * unit;
    i += 3;
  }
  const utc = Date.UTC(
    digits(text, 0, 4),
    digits(text, 5, 7) - 1,
    digits(text, 8, 10),
    digits(text, 11, 13),
    digits(text, 14, 16),
    digits(text, 17, 19),
    ms,
  );
  // Date.UTC reads years 0–99 as 1900–1999.
  if (sign === 0 || i !== text.length || Number.isNaN(utc + offsetSeconds) || text.charCodeAt(0) === 48) return parseWithPostgresDate(text);
  return new Date(utc - sign * offsetSeconds * 1000);
}

/** pg's type parsers with `timestamptz` read by parseTimestamptz; for the pool's `types` option. */
export const typeParsers = {
  getTypeParser: ((oid: number, format?: "text" | "binary"): unknown =>
    oid === TIMESTAMPTZ && format !== "binary" ? parseTimestamptz : types.getTypeParser(oid, format)) as typeof types.getTypeParser,
};
