import { Box } from "@mantine/core";

export interface DailyUsage {
  date: string;
  requestCount: number;
}

/** "Requests per day over the last 14 days: 37 in total, at most 20 on 2026-11-30." */
export function usageSummary(usage: readonly DailyUsage[]): string {
  const total = usage.reduce((sum, day) => sum + day.requestCount, 0);
  const days = `over the last ${usage.length} ${usage.length === 1 ? "day" : "days"}`;
  if (total === 0) return `Requests per day ${days}: none.`;
  const busiest = usage.reduce((best, day) => (day.requestCount > best.requestCount ? day : best), usage[0]);
  return `Requests per day ${days}: ${total} in total, at most ${busiest.requestCount} on ${busiest.date}.`;
}

/** 1, 2, 5, 10, 20, 50, … at or above `value`: a round top for the axis. */
function niceCeiling(value: number): number {
  if (value <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= value) return step * magnitude;
  return 10 * magnitude;
}

/** "2026-11-30" → "30 Nov" (UTC, as the days are). */
function shortDate(date: string): string {
  const value = new Date(`${date}T00:00:00Z`);
  return Number.isNaN(value.getTime()) ? date : value.toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
}

/**
 * Daily requests as bars, oldest first. `small` is a sparkline for a table cell; the large one has
 * its axis labelled and each bar's day and count as a tooltip. Screen readers get the summary.
 */
export function UsageChart({ usage, size = "small" }: { usage: readonly DailyUsage[]; size?: "small" | "large" }) {
  const small = size === "small";
  const width = small ? 70 : 720;
  const height = small ? 22 : 220;
  const margin = small ? { top: 2, right: 0, bottom: 2, left: 0 } : { top: 12, right: 8, bottom: 28, left: 44 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const highest = Math.max(0, ...usage.map((day) => day.requestCount));
  const top = niceCeiling(highest);
  const slot = usage.length ? plotWidth / usage.length : plotWidth;
  const barWidth = Math.max(1, slot * (small ? 0.7 : 0.75));
  const barHeight = (count: number) => (count === 0 ? (small ? 1 : 0) : Math.max(1, (count / top) * plotHeight));
  const labelEvery = Math.max(1, Math.ceil(usage.length / 8));
  return (
    <Box
      component="svg"
      role="img"
      aria-label={usageSummary(usage)}
      data-testid={small ? "usage-sparkline" : "usage-chart"}
      data-total={usage.reduce((sum, day) => sum + day.requestCount, 0)}
      viewBox={`0 0 ${width} ${height}`}
      width={small ? width : "100%"}
      height={small ? height : undefined}
      style={{ maxWidth: width, display: "block", overflow: "visible" }}
    >
      {small ? null : (
        <g aria-hidden="true" fontSize={11} fill="var(--mantine-color-dimmed)">
          {(Number.isInteger(top / 2) && top > 1 ? [0, top / 2, top] : [0, top]).map((tick) => {
            const y = margin.top + plotHeight - (tick / top) * plotHeight;
            return (
              <g key={tick}>
                <line x1={margin.left} x2={width - margin.right} y1={y} y2={y} stroke="var(--mantine-color-gray-3)" strokeWidth={1} />
                <text x={margin.left - 6} y={y + 4} textAnchor="end">
                  {tick}
                </text>
              </g>
            );
          })}
          {usage.map((day, index) =>
            // Every few days, and the last one, never two labels crowding each other.
            (index % labelEvery === 0 && usage.length - 1 - index >= labelEvery / 2 + 1) || index === usage.length - 1 ? (
              <text key={day.date} x={margin.left + index * slot + slot / 2} y={height - 8} textAnchor="middle">
                {shortDate(day.date)}
              </text>
            ) : null,
          )}
        </g>
      )}
      {usage.map((day, index) => {
        const h = barHeight(day.requestCount);
        return (
          <rect
            key={day.date}
            data-date={day.date}
            data-count={day.requestCount}
            x={margin.left + index * slot + (slot - barWidth) / 2}
            y={margin.top + plotHeight - h}
            width={barWidth}
            height={h}
            rx={small ? 0.5 : 2}
            fill={day.requestCount === 0 ? "var(--mantine-color-gray-4)" : "var(--mantine-color-accent-filled)"}
          >
            {small ? null : <title>{`${day.date}: ${day.requestCount} ${day.requestCount === 1 ? "request" : "requests"}`}</title>}
          </rect>
        );
      })}
    </Box>
  );
}
