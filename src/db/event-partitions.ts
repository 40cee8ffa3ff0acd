import type { DataSource } from "typeorm";
import type { PartitionSpan } from "./pagination.js";

/**
 * The day partitions of notification_events, notification_deliveries and delivery_attempts
 * (migration 1763900009000-event-partitions): created ahead of time, dropped whole once every
 * event of the day has expired. Days are UTC; the partitions of day D are named `<table>_pYYYYMMDD`.
 */

/** Days of partitions kept ready beyond today: a week without a sweep still finds its partition. */
export const PARTITION_DAYS_AHEAD = 7;

/** The three tables of a day, dropped together: referencing tables first. */
const TABLES = ["delivery_attempts", "notification_deliveries", "notification_events"] as const;

/**
 * A day's DROP waits at most this long for its locks (the parents' ACCESS EXCLUSIVE lock, held for
 * the few milliseconds of the drop), so that deliveries queued behind it wait no longer; it is
 * tried DROP_TRIES times, then again at the next sweep.
 */
const DROP_LOCK_TIMEOUT = "200ms";
const DROP_TRIES = 5;

/** The events deleted one by one per statement (with their deliveries and attempts). */
const ROW_BATCH = 5000;

const DAY_MS = 86_400_000;

function utcDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** Creates the partitions of today and the next PARTITION_DAYS_AHEAD days that do not exist yet; returns how many it created. */
export async function createEventPartitions(dataSource: DataSource, now = Date.now()): Promise<number> {
  const [row]: Array<{ created: number }> = await dataSource.query("SELECT keyway_create_event_partitions($1::date, $2::date) AS created", [
    utcDay(now),
    utcDay(now + PARTITION_DAYS_AHEAD * DAY_MS),
  ]);
  return row.created;
}

/** The days that have partitions, oldest first, as YYYY-MM-DD. */
export async function eventPartitionDays(dataSource: DataSource): Promise<string[]> {
  const rows: Array<{ relname: string }> = await dataSource.query(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'notification_events'::regclass AND c.relname ~ '^notification_events_p[0-9]{8}$' ORDER BY c.relname`,
  );
  return rows.map(({ relname }) => {
    const digits = relname.slice(-8);
    return `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6)}`;
  });
}

/**
 * The time the daily partitions cover without a gap, [start of the first day, end of the last),
 * the newest run of consecutive days; null when there is none. Lists read this span apart from
 * the rest of the table (see PartitionSpan). The events' days are the deliveries' and attempts'
 * too: the three tables' days are created and dropped together.
 */
export async function eventPartitionSpan(dataSource: DataSource): Promise<PartitionSpan | null> {
  const days = await eventPartitionDays(dataSource);
  if (days.length === 0) return null;
  let first = days.length - 1;
  while (first > 0 && Date.parse(days[first]) - Date.parse(days[first - 1]) === DAY_MS) first--;
  return { from: new Date(Date.parse(days[first])), to: new Date(Date.parse(days[days.length - 1]) + DAY_MS) };
}

/** How long a process keeps the span it read: another process's drop or creation is seen this late at most. */
const SPAN_TTL_MS = 60_000;

/**
 * Drops the days whose events have all expired (the latest expires_at, read from the expiry index,
 * has passed), the three tables in one transaction. A day is considered once it ended more than a
 * day ago, so that no transaction still running can add an event to it. Returns the days dropped.
 */
export async function dropExpiredEventDays(dataSource: DataSource, now = Date.now()): Promise<string[]> {
  const dropped: string[] = [];
  const lastCandidate = utcDay(now - 2 * DAY_MS);
  for (const day of await eventPartitionDays(dataSource)) {
    if (day > lastCandidate) break;
    const suffix = `_p${day.replaceAll("-", "")}`;
    const [{ expired }]: Array<{ expired: boolean }> = await dataSource.query(
      `SELECT coalesce(max(expires_at) <= now(), true) AS expired FROM ONLY notification_events${suffix}`,
    );
    if (!expired) break; // the later days expire later still
    let done = false;
    for (let tries = 0; !done && tries < DROP_TRIES; tries++) {
      done = await dataSource.transaction(async (em) => {
        await em.query(`SET LOCAL lock_timeout = '${DROP_LOCK_TIMEOUT}'`);
        try {
          await em.query(`DROP TABLE ${TABLES.map((table) => table + suffix).join(", ")}`);
          return true;
        } catch (error) {
          if ((error as { code?: string }).code === "55P03") return false; // lock_not_available: try again
          throw error;
        }
      });
    }
    if (!done) break;
    dropped.push(day);
  }
  return dropped;
}

/**
 * Deletes, row by row with their deliveries and attempts, the events that expired before their
 * day can be dropped: those whose expiry came sooner than the retention (a shorter retention
 * setting, an expiry brought forward) and those in a DEFAULT partition. Events at the usual
 * retention wait for their day. Returns how many it deleted.
 */
export async function deleteExpiredEventRows(dataSource: DataSource, retentionDays: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const [{ count }]: Array<{ count: number }> = await dataSource.query(
      `WITH e AS (
         DELETE FROM notification_events WHERE (id, created_at) IN (
           SELECT id, created_at FROM notification_events
            WHERE expires_at <= now() AND created_at > now() - make_interval(days => $1)
           UNION ALL
           SELECT id, created_at FROM notification_events_default WHERE expires_at <= now()
           LIMIT ${ROW_BATCH})
         RETURNING id, created_at),
       d AS (DELETE FROM notification_deliveries d USING e WHERE d.event_id = e.id AND d.event_created_at = e.created_at),
       a AS (DELETE FROM delivery_attempts a USING e WHERE a.event_id = e.id AND a.event_created_at = e.created_at)
       SELECT count(*)::int AS count FROM e`,
      [retentionDays],
    );
    deleted += count;
    if (count < ROW_BATCH) break;
  }
  return deleted;
}

/**
 * The retention's door to the day partitions: it creates and drops partitions and deletes expired
 * rows of every tenant, so the events service reaches it by name, never the data source. The
 * lists of events and of a target's events read their span from it.
 */
export class EventPartitions {
  private cachedSpan: { read: number; span: Promise<PartitionSpan | null> } | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /**
   * The daily partitions' span, read at most once a minute. A stale span costs speed, never rows:
   * a list reads the span and the rest of the table apart, so every row is in exactly one of them.
   */
  span(now = Date.now()): Promise<PartitionSpan | null> {
    if (this.cachedSpan === null || now - this.cachedSpan.read > SPAN_TTL_MS) {
      const span = eventPartitionSpan(this.dataSource);
      this.cachedSpan = { read: now, span };
      span.catch(() => {
        if (this.cachedSpan?.span === span) this.cachedSpan = null;
      });
    }
    return this.cachedSpan.span;
  }

  async createAhead(now = Date.now()): Promise<number> {
    const created = await createEventPartitions(this.dataSource, now);
    this.cachedSpan = null;
    return created;
  }

  async dropExpiredDays(now = Date.now()): Promise<string[]> {
    const dropped = await dropExpiredEventDays(this.dataSource, now);
    this.cachedSpan = null;
    return dropped;
  }

  deleteExpiredRows(retentionDays: number): Promise<number> {
    return deleteExpiredEventRows(this.dataSource, retentionDays);
  }
}
