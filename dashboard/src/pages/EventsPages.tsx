import { Alert, Anchor, Button, Card, Code, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { usePaging, useQuery } from "../api/hooks";
import { mutate, notifyFailure, notifySuccess } from "../api/payload";
import { AttemptsTable } from "../components/AttemptsTable";
import { ErrorAlert, PageHeader, Pager } from "../components/common";
import { EVENT_NAMES } from "../components/events";
import { formatDate, humanize } from "../components/format";
import {
  type NotificationEventName,
  NotificationEventDocument,
  NotificationEventsDocument,
  ReplayNotificationEventDocument,
} from "../gql/graphql";
import { useSession } from "../session";

const PAGE_SIZE = 20;
/** Attempts an event page lists (NotificationEvent.graphql asks for the first 25). */
const ATTEMPTS_SHOWN = 25;

/** A date input (YYYY-MM-DD) as the start or the end of that day, local time. */
function dayBoundary(date: string, end: boolean): string | null {
  if (!date) return null;
  const value = new Date(`${date}T${end ? "23:59:59.999" : "00:00:00"}`);
  return Number.isNaN(value.getTime()) ? null : value.toISOString();
}

export function EventsPage() {
  const { environment } = useSession();
  const [name, setName] = useState("");
  const [since, setSince] = useState("");
  const [until, setUntil] = useState("");
  const gte = dayBoundary(since, false);
  const lte = dayBoundary(until, true);
  const filterBy = {
    name: name ? [name as NotificationEventName] : null,
    createdAt: gte || lte ? { gte, lte } : null,
  };
  const paging = usePaging(PAGE_SIZE, JSON.stringify(filterBy));
  const { data, error, loading } = useQuery(NotificationEventsDocument, { ...paging.cursor, filterBy });
  const connection = data?.organizations[0]?.notificationEvents;
  const events = connection?.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <PageHeader
        title="Events"
        description={`What happened in ${environment}, kept 30 days. Open an event to see its deliveries and replay it.`}
      />
      <Group mb="md" align="flex-end" wrap="wrap">
        <NativeSelect
          label="Event name"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          data={[
            { value: "", label: "All events" },
            ...["NOTIFICATION_ACTIVATION", ...EVENT_NAMES].map((value) => ({ value, label: humanize(value) })),
          ]}
        />
        <TextInput label="From date" type="date" value={since} onChange={(e) => setSince(e.currentTarget.value)} />
        <TextInput label="To date" type="date" value={until} onChange={(e) => setUntil(e.currentTarget.value)} />
      </Group>
      <ErrorAlert error={error} />
      <Table striped highlightOnHover aria-label="Events" aria-busy={loading}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Event</Table.Th>
            <Table.Th scope="col">Id</Table.Th>
            <Table.Th scope="col">Created</Table.Th>
            <Table.Th scope="col">Kept until</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {events.map((event) => (
            <Table.Tr key={event.id}>
              <Table.Td>
                <Anchor component={Link} to={`/developers/events/${event.id}`} fw={600}>
                  {humanize(event.name)}
                </Anchor>
              </Table.Td>
              <Table.Td>
                <Code>{event.id}</Code>
              </Table.Td>
              <Table.Td>{formatDate(event.createdAt)}</Table.Td>
              <Table.Td>{formatDate(event.expiresAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {!loading && events.length === 0 && !error ? (
        <Text c="dimmed" mt="md">
          No events match.
        </Text>
      ) : null}
      <Pager noun="events" {...paging.pager(connection, loading)} />
    </>
  );
}

export function EventDetailPage() {
  const { id = "" } = useParams();
  const { can } = useSession();
  const { data, error, loading, refetch } = useQuery(NotificationEventDocument, { id });
  const [replayedAt, setReplayedAt] = useState<number | null>(null);
  const event = data?.node?.__typename === "NotificationEvent" ? data.node : null;
  // The attempts on the page, not totalCount: the count is read after the page, so a delivery
  // committing in between is counted before it is listed.
  const attemptCount = event?.deliveryAttempts.edges.length ?? 0;

  // After a replay, look again each second until the new attempts show (at most a minute: the
  // delivery queue may be busy).
  const [countAtReplay, setCountAtReplay] = useState(0);
  useEffect(() => {
    if (replayedAt === null || attemptCount > countAtReplay || attemptCount >= ATTEMPTS_SHOWN) return;
    const timer = window.setTimeout(() => {
      if (Date.now() - replayedAt < 60_000) void refetch();
    }, 1000);
    return () => window.clearTimeout(timer);
  }, [replayedAt, attemptCount, countAtReplay, refetch, data]);

  if (!event) {
    return (
      <>
        <PageHeader title="Event" />
        <ErrorAlert error={error} />
        {!loading && !error ? (
          <Alert color="gray" title="Not found" role="alert">
            There is no such event in this environment (events are kept 30 days).{" "}
            <Anchor component={Link} to="/developers/events">
              Back to events
            </Anchor>
          </Alert>
        ) : null}
      </>
    );
  }

  const attempts = event.deliveryAttempts.edges.map((edge) => edge.node);
  return (
    <>
      <Anchor component={Link} to="/developers/events" size="sm">
        ← Events
      </Anchor>
      <PageHeader
        title={humanize(event.name)}
        description={
          <>
            <Code>{event.id}</Code> · created {formatDate(event.createdAt)} · kept until {formatDate(event.expiresAt)}
          </>
        }
        actions={
          <>
            <Button variant="default" onClick={() => void refetch()}>
              Refresh
            </Button>
            {can("events:replay") ? (
              <Button
                onClick={async () => {
                  const outcome = await mutate(
                    ReplayNotificationEventDocument,
                    { input: { notificationEventId: event.id } },
                    (r) => r.replayNotificationEvent,
                  );
                  if (!outcome.ok) return notifyFailure(outcome);
                  notifySuccess("Replay queued: the event is delivered again to every subscribed active target.");
                  setCountAtReplay(attemptCount);
                  setReplayedAt(Date.now());
                  await refetch();
                }}
              >
                Replay
              </Button>
            ) : null}
          </>
        }
      />
      <Stack>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Payload
          </Title>
          <Code block data-testid="event-payload">
            {JSON.stringify(event.data, null, 2)}
          </Code>
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Delivery attempts ({event.deliveryAttempts.totalCount})
          </Title>
          <AttemptsTable attempts={attempts} label="Delivery attempts" showTarget />
        </Card>
      </Stack>
    </>
  );
}
