import {
  Alert,
  Button,
  Card,
  Code,
  Group,
  Menu,
  Modal,
  NativeSelect,
  NumberInput,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { FormEvent, useState } from "react";
import { useQuery } from "../api/hooks";
import { mutate, notifyFailure, notifySuccess } from "../api/payload";
import { ConfirmDialog, ErrorAlert, PageHeader, StatusDot } from "../components/common";
import { formatAmount, formatDate } from "../components/format";
import {
  ActivateCollaborativeAuthorizationEndpointDocument,
  AddCollaborativeAuthorizationEndpointDocument,
  type CollaborativeAuthorizationQuery,
  CollaborativeAuthorizationDocument,
  type CollaborativeAuthorizationStandInDecision,
  DeactivateCollaborativeAuthorizationEndpointDocument,
  RemoveCollaborativeAuthorizationEndpointDocument,
  RenameCollaborativeAuthorizationEndpointDocument,
  SimulateCollaborativeAuthorizationDocument,
  type SimulateCollaborativeAuthorizationMutation,
} from "../gql/graphql";
import { useSession } from "../session";

type Endpoint = CollaborativeAuthorizationQuery["organizations"][number]["collaborativeAuthorizationEndpoints"]["edges"][number]["node"];
type Decision = Extract<
  SimulateCollaborativeAuthorizationMutation["simulateCollaborativeAuthorization"],
  { __typename: "CollaborativeAuthorizationRequest" }
>;

function AddEndpointDialog({ opened, onClose, onAdded }: { opened: boolean; onClose(): void; onAdded(): void }) {
  const [values, setValues] = useState({ name: "", uri: "", standInDecision: "DECLINE" as CollaborativeAuthorizationStandInDecision });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  async function submit(event: FormEvent) {
    event.preventDefault();
    const outcome = await mutate(
      AddCollaborativeAuthorizationEndpointDocument,
      { input: values },
      (r) => r.addCollaborativeAuthorizationEndpoint,
      ["name", "uri", "standInDecision"],
    );
    if (outcome.ok) {
      notifySuccess(`Endpoint ${outcome.value.name} added. Activate it to send it a verification request.`);
      setValues({ name: "", uri: "", standInDecision: "DECLINE" });
      onAdded();
      onClose();
      return;
    }
    setErrors(outcome.fieldErrors);
    setFormError(outcome.denied ?? outcome.formError);
  }
  return (
    <Modal opened={opened} onClose={onClose} title="Add endpoint" centered size="lg">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Name"
            required
            data-autofocus
            value={values.name}
            onChange={(e) => setValues({ ...values, name: e.currentTarget.value })}
            error={errors.name}
          />
          <TextInput
            label="URL"
            required
            description="Keyway POSTs each authorization here, signed, and waits at most 2 seconds for APPROVED or DECLINED."
            placeholder="https://example.com/authorize"
            value={values.uri}
            onChange={(e) => setValues({ ...values, uri: e.currentTarget.value })}
            error={errors.uri}
          />
          <NativeSelect
            label="Stand-in decision"
            description="Applied when the endpoint times out, fails or answers something unreadable."
            data={[
              { value: "DECLINE", label: "Decline" },
              { value: "APPROVE", label: "Approve" },
            ]}
            value={values.standInDecision}
            onChange={(e) => setValues({ ...values, standInDecision: e.currentTarget.value as CollaborativeAuthorizationStandInDecision })}
            error={errors.standInDecision}
          />
          {formError ? (
            <Alert color="red" role="alert">
              {formError}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit">Add endpoint</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function SimulateCard({ onDecided }: { onDecided(): void }) {
  const [amount, setAmount] = useState<number | string>(12.5);
  const [currencyCode, setCurrency] = useState("USD");
  const [merchantName, setMerchant] = useState("Corner Coffee");
  const [decision, setDecision] = useState<Decision | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const outcome = await mutate(
      SimulateCollaborativeAuthorizationDocument,
      { input: { amount: Math.round(Number(amount) * 100), currencyCode, merchantName: merchantName || null } },
      (r) => r.simulateCollaborativeAuthorization,
      ["amount", "currencyCode", "merchantName"],
    );
    setBusy(false);
    setErrors(outcome.ok ? {} : outcome.fieldErrors);
    setFormError(outcome.ok ? null : (outcome.denied ?? outcome.formError));
    if (outcome.ok) {
      setDecision(outcome.value);
      onDecided();
    }
  }
  return (
    <Card withBorder>
      <Title order={2} size="h4" mb="xs">
        Simulate authorization
      </Title>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm">
          <Group grow align="flex-start">
            <NumberInput label="Amount" min={0} decimalScale={2} value={amount} onChange={setAmount} error={errors.amount} />
            <TextInput
              label="Currency"
              maxLength={3}
              value={currencyCode}
              onChange={(e) => setCurrency(e.currentTarget.value.toUpperCase())}
              error={errors.currencyCode}
            />
          </Group>
          <TextInput
            label="Merchant name"
            value={merchantName}
            onChange={(e) => setMerchant(e.currentTarget.value)}
            error={errors.merchantName}
          />
          {formError ? (
            <Alert color="red" role="alert">
              {formError}
            </Alert>
          ) : null}
          <Button type="submit" loading={busy}>
            Simulate authorization
          </Button>
        </Stack>
      </form>
      {decision ? (
        <Alert
          mt="md"
          color={decision.responseCode === "APPROVED" ? "green" : "red"}
          title={`Decision: ${decision.responseCode}`}
          role="status"
          data-testid="decision"
        >
          <Text size="sm">
            Authorized {formatAmount(decision.authorizedAmount, decision.currencyCode)} of{" "}
            {formatAmount(decision.amount, decision.currencyCode)} · decided by{" "}
            {decision.decidedBy === "ENDPOINT" ? `endpoint ${decision.endpoint?.name ?? ""}` : "stand-in"}
            {decision.standInReason ? ` (${decision.standInReason.replace(/_/g, " ").toLowerCase()})` : ""} · {decision.latencyMs} ms
          </Text>
        </Alert>
      ) : null}
    </Card>
  );
}

export function CollaborativeAuthorizationPage() {
  const { can, environment, viewer } = useSession();
  const { data, error, loading, refetch } = useQuery(CollaborativeAuthorizationDocument, {});
  const [adding, setAdding] = useState(false);
  const [renaming, setRenaming] = useState<Endpoint | null>(null);
  const [newName, setNewName] = useState("");
  const [renameError, setRenameError] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Endpoint | null>(null);
  const [verification, setVerification] = useState<{ name: string; ok: boolean } | null>(null);
  const organization = data?.organizations[0];
  const endpoints = organization?.collaborativeAuthorizationEndpoints.edges.map((edge) => edge.node) ?? [];
  const requests = organization?.collaborativeAuthorizationRequests.edges.map((edge) => edge.node) ?? [];
  const writable = can("collab:write");
  const upgradeRequired = viewer?.organization.plan === "FREE" && environment === "LIVE";

  async function activate(endpoint: Endpoint) {
    const outcome = await mutate(
      ActivateCollaborativeAuthorizationEndpointDocument,
      { input: { endpointId: endpoint.id } },
      (r) => r.activateCollaborativeAuthorizationEndpoint,
    );
    if (!outcome.ok) return notifyFailure(outcome);
    setVerification({ name: endpoint.name, ok: outcome.value.status === "ACTIVE" });
    await refetch();
  }
  async function deactivate(endpoint: Endpoint) {
    const outcome = await mutate(
      DeactivateCollaborativeAuthorizationEndpointDocument,
      { input: { endpointId: endpoint.id } },
      (r) => r.deactivateCollaborativeAuthorizationEndpoint,
    );
    if (!outcome.ok) return notifyFailure(outcome);
    notifySuccess(`Endpoint ${endpoint.name} deactivated.`);
    await refetch();
  }

  return (
    <>
      <PageHeader
        title="Collaborative authorization"
        description={`Endpoints of ${environment} that approve or decline each authorization. At most one is active.`}
        actions={
          writable ? (
            <Button onClick={() => setAdding(true)} disabled={upgradeRequired}>
              Add endpoint
            </Button>
          ) : null
        }
      />
      {upgradeRequired ? (
        <Alert color="yellow" title="Upgrade required" role="status" mb="md">
          Collaborative-authorization endpoints in LIVE are available on paid plans.
        </Alert>
      ) : null}
      <ErrorAlert error={error} />
      {verification ? (
        <Alert
          color={verification.ok ? "green" : "red"}
          title={verification.ok ? "Verification succeeded" : "Verification failed"}
          role="status"
          mb="md"
          withCloseButton
          closeButtonLabel="Dismiss"
          onClose={() => setVerification(null)}
          data-testid="verification-result"
        >
          {verification.ok
            ? `${verification.name} answered the verification request and is now the active endpoint.`
            : `${verification.name} did not answer the verification request with a 2xx within 2 seconds; it is not active.`}
        </Alert>
      ) : null}
      <Table.ScrollContainer minWidth={800}>
        <Table striped aria-label="Endpoints" aria-busy={loading} mb="lg">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Name</Table.Th>
              <Table.Th scope="col">URL</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Stand-in decision</Table.Th>
              <Table.Th scope="col">Created</Table.Th>
              {writable ? <Table.Th scope="col">Actions</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {endpoints.map((endpoint) => (
              <Table.Tr key={endpoint.id}>
                <Table.Td fw={600}>{endpoint.name}</Table.Td>
                <Table.Td>
                  <Code>{endpoint.uri}</Code>
                </Table.Td>
                <Table.Td>
                  <StatusDot status={endpoint.status} />
                </Table.Td>
                <Table.Td>{endpoint.standInDecision === "APPROVE" ? "Approve" : "Decline"}</Table.Td>
                <Table.Td>{formatDate(endpoint.createdAt)}</Table.Td>
                {writable ? (
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      {endpoint.status === "ACTIVE" ? (
                        <Button size="xs" color="red" onClick={() => void deactivate(endpoint)}>
                          Deactivate
                        </Button>
                      ) : (
                        <Button size="xs" color="green" onClick={() => void activate(endpoint)}>
                          Activate
                        </Button>
                      )}
                      <Menu position="bottom-end">
                        <Menu.Target>
                          <Button size="xs" variant="default" aria-label={`More actions for ${endpoint.name}`}>
                            More…
                          </Button>
                        </Menu.Target>
                        <Menu.Dropdown>
                          <Menu.Item
                            onClick={() => {
                              setNewName(endpoint.name);
                              setRenameError(null);
                              setRenaming(endpoint);
                            }}
                          >
                            Rename
                          </Menu.Item>
                          <Menu.Item color="red" onClick={() => setRemoving(endpoint)}>
                            Remove
                          </Menu.Item>
                        </Menu.Dropdown>
                      </Menu>
                    </Group>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!loading && endpoints.length === 0 && !error ? (
        <Text c="dimmed" mb="lg">
          No endpoints yet: every authorization is declined (no active endpoint).
        </Text>
      ) : null}

      <SimpleGrid cols={{ base: 1, lg: environment === "TEST" && can("collab:simulate") ? 2 : 1 }}>
        {environment === "TEST" && can("collab:simulate") ? <SimulateCard onDecided={() => void refetch()} /> : null}
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            Recent requests
          </Title>
          <Table aria-label="Recent authorization requests" fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Time</Table.Th>
                <Table.Th scope="col">Amount</Table.Th>
                <Table.Th scope="col">Decision</Table.Th>
                <Table.Th scope="col">Decided by</Table.Th>
                <Table.Th scope="col">Stand-in reason</Table.Th>
                <Table.Th scope="col">Latency</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {requests.map((request) => (
                <Table.Tr key={request.id}>
                  <Table.Td>{formatDate(request.createdAt)}</Table.Td>
                  <Table.Td>{formatAmount(request.amount, request.currencyCode)}</Table.Td>
                  <Table.Td>
                    <StatusDot status={request.responseCode} />
                  </Table.Td>
                  <Table.Td>{request.decidedBy === "ENDPOINT" ? (request.endpoint?.name ?? "endpoint") : "stand-in"}</Table.Td>
                  <Table.Td>{request.standInReason?.replace(/_/g, " ").toLowerCase() ?? "—"}</Table.Td>
                  <Table.Td>{request.latencyMs} ms</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {requests.length === 0 ? (
            <Text size="sm" c="dimmed">
              No authorization requests yet.
            </Text>
          ) : null}
        </Card>
      </SimpleGrid>

      <AddEndpointDialog opened={adding} onClose={() => setAdding(false)} onAdded={() => void refetch()} />
      <Modal opened={renaming !== null} onClose={() => setRenaming(null)} title="Rename endpoint" centered>
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            if (!renaming) return;
            const outcome = await mutate(
              RenameCollaborativeAuthorizationEndpointDocument,
              { input: { endpointId: renaming.id, name: newName } },
              (r) => r.renameCollaborativeAuthorizationEndpoint,
              ["name"],
            );
            if (!outcome.ok) return setRenameError(outcome.fieldErrors.name ?? outcome.denied ?? outcome.formError);
            setRenaming(null);
            await refetch();
          }}
          noValidate
        >
          <Stack>
            <TextInput
              label="Name"
              required
              data-autofocus
              value={newName}
              onChange={(e) => setNewName(e.currentTarget.value)}
              error={renameError}
            />
            <Group justify="flex-end">
              <Button variant="default" onClick={() => setRenaming(null)}>
                Cancel
              </Button>
              <Button type="submit">Rename</Button>
            </Group>
          </Stack>
        </form>
      </Modal>
      <ConfirmDialog
        opened={removing !== null}
        title={`Remove endpoint ${removing?.name ?? ""}?`}
        confirmLabel="Remove endpoint"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          const outcome = await mutate(
            RemoveCollaborativeAuthorizationEndpointDocument,
            { input: { endpointId: removing.id } },
            (r) => r.removeCollaborativeAuthorizationEndpoint,
          );
          setRemoving(null);
          if (!outcome.ok) return notifyFailure(outcome);
          notifySuccess("Endpoint removed.");
          await refetch();
        }}
      >
        <Text size="sm">If it is the active endpoint, authorizations get the stand-in decision until another one is activated.</Text>
      </ConfirmDialog>
    </>
  );
}
