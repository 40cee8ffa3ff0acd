import { Client, types } from "pg";
import { adminUrl } from "./helpers/database";
import { parseTimestamptz } from "../src/db/timestamps";
import { isoString } from "../src/schema/scalars";

/**
 * Keyway reads timestamptz by position (src/db/timestamps.ts) and leaves what it does not expect to pg's own
 * parser. Both paths are checked against pg's parser on the text PostgreSQL itself writes, in several time zones
 * (whole-hour, half-hour, quarter-hour and historic offsets with seconds).
 */
const pgParser = types.getTypeParser(1184, "text");

const VALUES = [
  // Read by position.
  "2026-11-23 21:28:31.337412+00",
  "2026-11-23 21:28:31+00",
  "2026-11-23 21:28:31.5+00",
  "2031-06-15 08:30:00.29+05:30",
  "1999-12-31 23:59:59.999999-08",
  "1000-01-01 00:00:00+00",
  "9999-12-31 23:59:59.999+00",
  "1900-01-01 00:00:00+00",
  // pg's parser: years before 1000 or after 9999, BC, infinity.
  "0999-12-31 23:59:59+00",
  "0001-01-01 00:00:00+00",
  "0044-03-15 12:00:00+00 BC",
  "2000-01-01 00:00:00+00 BC",
  "10000-01-01 00:00:00+00",
  "infinity",
  "-infinity",
];
const ZONES = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/St_Johns", "Europe/Amsterdam", "Pacific/Chatham"];

/** Comparable form of a parser's result: the instant for dates (NaN as a string), the value otherwise. */
function comparable(value: unknown): unknown {
  return value instanceof Date ? String(value.getTime()) : value;
}

it("reads every timestamptz PostgreSQL writes as pg's own parser does, fast path and fallback alike", async () => {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  const texts = new Set<string>();
  try {
    for (const zone of ZONES) {
      await client.query(`SET TIME ZONE '${zone}'`);
      const { rows } = await client.query("SELECT v::timestamptz::text AS text FROM unnest($1::text[]) AS v", [VALUES]);
      for (const row of rows) texts.add(row.text);
    }
  } finally {
    await client.end();
  }
  const mismatches = [...texts].filter((text) => comparable(parseTimestamptz(text)) !== comparable(pgParser(text)));
  expect(mismatches).toEqual([]);
  // Every zone gave its own text for most values; the fallback shapes are among them.
  expect(texts.size).toBeGreaterThanOrEqual(VALUES.length * 3);
  expect(
    [...texts].filter((text) => text.endsWith(" BC") || text.includes("infinity") || /^(0|\d{5})/.test(text)).length,
  ).toBeGreaterThanOrEqual(7 * 3);
  // Offsets with seconds (Amsterdam before 1937: +00:19:32) take the fast path too.
  expect([...texts].some((text) => /[+-]\d\d:\d\d:\d\d$/.test(text))).toBe(true);
});

it("reads the milliseconds of the fast path and keeps instants apart", () => {
  expect(parseTimestamptz("2026-11-23 21:28:31.337412+00")).toEqual(new Date("2026-11-23T21:28:31.337Z"));
  expect(parseTimestamptz("2031-06-15 08:30:00.29+05:30")).toEqual(new Date("2031-06-15T03:00:00.290Z"));
  expect(parseTimestamptz("1900-01-01 00:19:32+00:19:32")).toEqual(new Date("1900-01-01T00:00:00.000Z"));
  expect(comparable(parseTimestamptz("0044-03-15 12:00:00+00 BC"))).toBe(comparable(pgParser("0044-03-15 12:00:00+00 BC")));
  expect(parseTimestamptz("infinity")).toBe(pgParser("infinity"));
});

it("writes every DateTime as toISOString does, from the first millisecond of year 1000 to the last of 9999 and beyond", () => {
  const instants = [
    Date.UTC(1000, 0, 1),
    Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    Date.UTC(999, 11, 31, 23, 59, 59, 999),
    Date.UTC(10000, 0, 1),
    Date.UTC(-44, 2, 15, 12),
    0,
    Date.parse("2026-11-23T21:28:31.007Z"),
    Date.parse("2026-11-23T21:28:31.070Z"),
    Date.parse("2026-11-23T21:28:31.700Z"),
  ];
  // And 10,000 instants spread over years 1000–9999 (a fixed sequence, so a failure can be replayed).
  let seed = 20261201;
  const from = Date.UTC(1000, 0, 1);
  const span = Date.UTC(10000, 0, 1) - from;
  for (let i = 0; i < 10_000; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    instants.push(from + Math.floor((seed / 2 ** 32) * span));
  }
  const mismatches = instants.map((t) => new Date(t)).filter((date) => isoString(date) !== date.toISOString());
  expect(mismatches).toEqual([]);
  expect(isoString(new Date(Date.UTC(10000, 0, 1)))).toBe("+010000-01-01T00:00:00.000Z");
  expect(() => isoString(new Date(NaN))).toThrow(RangeError);
});
