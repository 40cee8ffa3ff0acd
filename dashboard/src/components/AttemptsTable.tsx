import { Anchor, Table, Text } from "@mantine/core";
import { Link } from "react-router";
import { StatusDot } from "./common";
import { formatDate } from "./format";

export interface Attempt {
  id: string;
  attemptNumber: number;
  createdAt: string;
  status: string;
  httpStatus?: number | null;
  durationMs: number;
  errorMessage?: string | null;
  target?: { id: string; name: string } | null;
}

/** Delivery attempts: when, result, HTTP status, how long, why it failed. */
export function AttemptsTable({ attempts, label, showTarget = false }: { attempts: Attempt[]; label: string; showTarget?: boolean }) {
  if (attempts.length === 0) {
    return (
      <Text size="sm" c="dimmed">
        No delivery attempts yet.
      </Text>
    );
  }
  return (
    <Table aria-label={label} withTableBorder verticalSpacing={4} fz="sm">
      <Table.Thead>
        <Table.Tr>
          {showTarget ? <Table.Th scope="col">Target</Table.Th> : null}
          <Table.Th scope="col">Attempt</Table.Th>
          <Table.Th scope="col">Time</Table.Th>
          <Table.Th scope="col">Result</Table.Th>
          <Table.Th scope="col">HTTP</Table.Th>
          <Table.Th scope="col">Duration</Table.Th>
          <Table.Th scope="col">Error</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {attempts.map((attempt) => (
          <Table.Tr key={attempt.id}>
            {showTarget ? (
              <Table.Td>
                {attempt.target ? (
                  <Anchor component={Link} to={`/developers/webhooks/${attempt.target.id}`}>
                    {attempt.target.name}
                  </Anchor>
                ) : (
                  "—"
                )}
              </Table.Td>
            ) : null}
            <Table.Td>#{attempt.attemptNumber}</Table.Td>
            <Table.Td>{formatDate(attempt.createdAt)}</Table.Td>
            <Table.Td>
              <StatusDot status={attempt.status} />
            </Table.Td>
            <Table.Td>{attempt.httpStatus ?? "—"}</Table.Td>
            <Table.Td>{attempt.durationMs} ms</Table.Td>
            <Table.Td>{attempt.errorMessage ?? ""}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
