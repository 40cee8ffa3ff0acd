import { Button, Card, Group, NumberInput, Stack, Text, TextInput } from "@mantine/core";
import { FormEvent, useEffect, useState } from "react";
import { useQuery } from "../api/hooks";
import { mutate, notifySuccess } from "../api/payload";
import { ErrorAlert } from "./common";
import { RecoverableEventCountDocument, RecoverNotificationEventsDocument, SetNotificationTargetRateLimitDocument } from "../gql/graphql";

/** The highest limit the API accepts. */
export const MAX_DELIVERIES_PER_SECOND = 1000;

/** A NumberInput's value as a limit: empty is no limit. */
export function limitOf(value: string | number): number | null {
  return value === "" ? null : Number(value);
}

export function RateLimitField({
  value,
  onChange,
  error,
}: {
  value: string | number;
  onChange(value: string | number): void;
  error?: string | null;
}) {
  return (
    <NumberInput
      label="Max deliveries per second (optional)"
      description={`1–${MAX_DELIVERIES_PER_SECOND}; empty: no limit. Deliveries over it wait their turn; they never fail for it.`}
      placeholder="No limit"
      min={1}
      max={MAX_DELIVERIES_PER_SECOND}
      allowDecimal={false}
      clampBehavior="none"
      value={value}
      onChange={onChange}
      error={error}
    />
  );
}

/** The target's rate limit, shown and (with targets:write) changed. */
export function RateLimitCard({
  targetId,
  limit,
  writable,
  onSaved,
}: {
  targetId: string;
  limit: number | null;
  writable: boolean;
  onSaved(): void;
}) {
  const [value, setValue] = useState<string | number>(limit ?? "");
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setValue(limit ?? ""), [limit]);
  async function save(next: number | null) {
    const outcome = await mutate(
      SetNotificationTargetRateLimitDocument,
      { input: { targetId, maxDeliveriesPerSecond: next } },
      (r) => r.setNotificationTargetRateLimit,
      ["maxDeliveriesPerSecond"],
    );
    if (!outcome.ok) return setError(outcome.fieldErrors.maxDeliveriesPerSecond ?? outcome.denied ?? outcome.formError);
    setError(null);
    notifySuccess(next === null ? "Rate limit removed." : `At most ${next} deliveries per second from now on.`);
    onSaved();
  }
  return (
    <Card withBorder>
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={600}>Rate limit</Text>
          <Text size="sm" data-testid="rate-limit">
            {limit === null ? "No limit" : `${limit} per second`}
          </Text>
        </Group>
        {writable ? (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              void save(limitOf(value));
            }}
            noValidate
          >
            <Stack gap="xs">
              <RateLimitField value={value} onChange={setValue} error={error} />
              <Group justify="flex-end">
                {limit !== null ? (
                  <Button variant="default" size="xs" onClick={() => void save(null)}>
                    Remove limit
                  </Button>
                ) : null}
                <Button type="submit" size="xs">
                  Save rate limit
                </Button>
              </Group>
            </Stack>
          </form>
        ) : null}
      </Stack>
    </Card>
  );
}

/** "2026-12-01T10:05" (a datetime-local value, local time) as ISO-8601, or null when empty or unreadable. */
function isoOf(local: string): string | null {
  if (!local) return null;
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

function localOf(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}

/**
 * After an outage: count, then send again, every event the target missed in a time range.
 * `attempts` (the target's attempt count) changes when deliveries happen: the count is taken again.
 */
export function RecoveryCard({
  targetId,
  active,
  attempts,
  onRecovered,
}: {
  targetId: string;
  active: boolean;
  attempts: number;
  onRecovered(): void;
}) {
  const [since, setSince] = useState(() => localOf(new Date(Date.now() - 3_600_000)));
  const [until, setUntil] = useState("");
  const [formError, setFormError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const sinceIso = isoOf(since);
  const untilIso = isoOf(until);
  const count = useQuery(RecoverableEventCountDocument, { id: targetId, since: sinceIso ?? "", until: untilIso }, { skip: !sinceIso });
  const { refetch } = count;
  useEffect(() => {
    if (sinceIso) void refetch();
    // Only new attempts call for a new count; a change of range runs the query by itself.
  }, [attempts, refetch]);
  const recoverable = count.data?.node?.__typename === "WebhookNotificationTarget" ? count.data.node.recoverableEventCount : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!sinceIso) return setErrors({ since: "Give the start of the outage" });
    setBusy(true);
    const outcome = await mutate(
      RecoverNotificationEventsDocument,
      { input: { targetId, since: sinceIso, until: untilIso } },
      (r) => r.recoverNotificationEvents,
      ["since", "until"],
    );
    setBusy(false);
    if (!outcome.ok) {
      setErrors(outcome.fieldErrors);
      return setFormError(outcome.denied ?? outcome.formError);
    }
    setErrors({});
    setFormError(null);
    notifySuccess(`${outcome.value.eventCount} events queued for ${outcome.value.target.name}, oldest first.`);
    onRecovered();
    await count.refetch();
  }

  return (
    <Card withBorder>
      <form onSubmit={submit} noValidate aria-label="Recover missed events">
        <Stack gap="xs">
          <Text fw={600}>Recover missed events</Text>
          <Text size="xs" c="dimmed">
            After an outage: every event of this target&apos;s subscriptions created in the range that it has not received is sent again,
            with its own webhook-id. At most 30 days back and 10,000 events at a time.
          </Text>
          <Group grow align="flex-start">
            <TextInput
              label="From"
              type="datetime-local"
              required
              value={since}
              onChange={(e) => setSince(e.currentTarget.value)}
              error={errors.since}
            />
            <TextInput
              label="To (optional)"
              description="Empty: now"
              type="datetime-local"
              value={until}
              onChange={(e) => setUntil(e.currentTarget.value)}
              error={errors.until}
            />
          </Group>
          <Text size="sm" data-testid="recoverable-count" aria-live="polite">
            {count.error
              ? count.error.message
              : recoverable === null
                ? "Counting…"
                : `${recoverable} ${recoverable === 1 ? "event" : "events"} will be sent.`}
          </Text>
          <ErrorAlert error={formError} title="Not recovered" />
          <Group justify="flex-end">
            <Button type="submit" loading={busy} disabled={!active || recoverable === 0}>
              Recover events
            </Button>
          </Group>
          {!active ? (
            <Text size="xs" c="dimmed">
              Only an ACTIVE target receives events: activate it first.
            </Text>
          ) : null}
        </Stack>
      </form>
    </Card>
  );
}
