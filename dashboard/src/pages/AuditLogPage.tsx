import { Code, Group, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useState } from "react";
import { usePaging, useQuery } from "../api/hooks";
import { ErrorAlert, PageHeader, Pager } from "../components/common";
import { formatDate } from "../components/format";
import { AuditLogDocument } from "../gql/graphql";
import { useSession } from "../session";

const PAGE_SIZE = 25;

const ACTOR_TYPES: Record<string, string> = { USER: "User", API_KEY: "API key", SYSTEM: "Keyway" };

export function AuditLogPage() {
  const { environment } = useSession();
  const [action, setAction] = useState("");
  const [debounced] = useDebouncedValue(action.trim(), 300);
  const filterBy = { action: debounced || null };
  const paging = usePaging(PAGE_SIZE, JSON.stringify(filterBy));
  const { data, error, loading } = useQuery(AuditLogDocument, { ...paging.cursor, filterBy });
  const connection = data?.organizations[0]?.auditLog;
  const entries = connection?.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <PageHeader title="Audit log" description={`Who did what in ${environment}, when, to which object.`} />
      <Group mb="md">
        <TextInput
          label="Action"
          description="Exact action, e.g. api_key.revoke"
          value={action}
          onChange={(e) => setAction(e.currentTarget.value)}
          w={280}
        />
      </Group>
      <ErrorAlert error={error} />
      <Table.ScrollContainer minWidth={800}>
        <Table striped aria-label="Audit log" aria-busy={loading}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Time</Table.Th>
              <Table.Th scope="col">Who</Table.Th>
              <Table.Th scope="col">Action</Table.Th>
              <Table.Th scope="col">Object</Table.Th>
              <Table.Th scope="col">Request</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {entries.map((entry) => (
              <Table.Tr key={entry.id}>
                <Table.Td>{formatDate(entry.createdAt)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{entry.actor.displayName}</Text>
                  <Text size="xs" c="dimmed">
                    {ACTOR_TYPES[entry.actor.type] ?? entry.actor.type}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Code>{entry.action}</Code>
                </Table.Td>
                <Table.Td>{entry.targetId ? <Code>{entry.targetId}</Code> : "—"}</Table.Td>
                <Table.Td>
                  <Text size="xs" c="dimmed">
                    {entry.requestId ?? "—"}
                  </Text>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!loading && entries.length === 0 && !error ? (
        <Text c="dimmed" mt="md">
          No entries.
        </Text>
      ) : null}
      <Pager noun="entries" {...paging.pager(connection, loading)} />
    </>
  );
}
