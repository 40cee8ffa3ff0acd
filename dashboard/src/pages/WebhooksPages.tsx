import {
  Alert,
  Anchor,
  Badge,
  Button,
  Card,
  Checkbox,
  Code,
  Group,
  Modal,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { FormEvent, useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { request } from "../api/client";
import { usePaging, useQuery } from "../api/hooks";
import { mutate, notifyFailure, notifySuccess, type Outcome } from "../api/payload";
import { AttemptsTable } from "../components/AttemptsTable";
import { limitOf, RateLimitCard, RateLimitField, RecoveryCard } from "../components/DeliveryControls";
import { ConfirmDialog, ErrorAlert, PageHeader, Pager, StatusDot } from "../components/common";
import { EVENT_NAMES } from "../components/events";
import { formatDate, humanize } from "../components/format";
import {
  ActivateNotificationTargetDocument,
  AddSubscriptionsToNotificationTargetDocument,
  AddWebhookNotificationTargetDocument,
  DeactivateNotificationTargetDocument,
  type NotificationEventName,
  RemoveEmailFromNotificationTargetDocument,
  RemoveNotificationTargetDocument,
  RemoveSubscriptionsFromNotificationTargetDocument,
  RenameNotificationTargetDocument,
  RotateNotificationTargetSigningKeyDocument,
  SetEmailForNotificationTargetDocument,
  WebhookTargetDocument,
  type WebhookTargetQuery,
  WebhookTargetSigningKeysDocument,
  type WebhookTargetSigningKeysQuery,
  WebhookTargetsDocument,
} from "../gql/graphql";
import { useSession } from "../session";

const PAGE_SIZE = 20;

function SubscriptionsField({
  value,
  onChange,
  error,
}: {
  value: NotificationEventName[];
  onChange(value: NotificationEventName[]): void;
  error?: string;
}) {
  return (
    <Checkbox.Group
      label="Events to deliver"
      value={value}
      onChange={(next) => onChange(next as NotificationEventName[])}
      error={error}
      withAsterisk
    >
      <SimpleGrid cols={2} mt="xs" spacing={6}>
        {EVENT_NAMES.map((name) => (
          <Checkbox key={name} value={name} label={humanize(name)} />
        ))}
      </SimpleGrid>
    </Checkbox.Group>
  );
}

function AddTargetDialog({ opened, onClose, onAdded }: { opened: boolean; onClose(): void; onAdded(id: string): void }) {
  const [values, setValues] = useState({ name: "", uri: "", email: "" });
  const [subscriptions, setSubscriptions] = useState<NotificationEventName[]>(["API_KEY_CREATED", "API_KEY_REVOKED"]);
  const [limit, setLimit] = useState<string | number>("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const outcome = await mutate(
      AddWebhookNotificationTargetDocument,
      { input: { name: values.name, uri: values.uri, email: values.email || null, subscriptions, maxDeliveriesPerSecond: limitOf(limit) } },
      (result) => result.addWebhookNotificationTarget,
      ["name", "uri", "email", "subscriptions", "maxDeliveriesPerSecond"],
    );
    setBusy(false);
    if (outcome.ok) {
      notifySuccess(`Target ${outcome.value.name} added; Keyway is verifying it.`);
      setValues({ name: "", uri: "", email: "" });
      onAdded(outcome.value.id);
      return;
    }
    setErrors(outcome.fieldErrors);
    setFormError(outcome.denied ?? outcome.formError);
  }
  return (
    <Modal opened={opened} onClose={onClose} title="Add webhook target" centered size="lg">
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
            description="Keyway POSTs signed events here (Standard Webhooks). LIVE needs a public https URL."
            placeholder="https://example.com/webhooks/keyway"
            value={values.uri}
            onChange={(e) => setValues({ ...values, uri: e.currentTarget.value })}
            error={errors.uri}
          />
          <TextInput
            label="Contact email (optional)"
            type="email"
            value={values.email}
            onChange={(e) => setValues({ ...values, email: e.currentTarget.value })}
            error={errors.email}
          />
          <SubscriptionsField value={subscriptions} onChange={setSubscriptions} error={errors.subscriptions} />
          <RateLimitField value={limit} onChange={setLimit} error={errors.maxDeliveriesPerSecond} />
          {formError ? (
            <Alert color="red" role="alert">
              {formError}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={busy}>
              Add target
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function WebhooksPage() {
  const { can, viewer, environment } = useSession();
  const navigate = useNavigate();
  const paging = usePaging(PAGE_SIZE, "");
  const { data, error, loading } = useQuery(WebhookTargetsDocument, paging.cursor);
  const [adding, setAdding] = useState(false);
  const connection = data?.organizations[0]?.webhookNotificationTargets;
  const targets = connection?.edges.map((edge) => edge.node) ?? [];
  const upgradeRequired = viewer?.organization.plan === "FREE" && environment === "LIVE";
  return (
    <>
      <PageHeader
        title="Webhooks"
        description={`Notification targets of ${environment}: where Keyway delivers signed events.`}
        actions={
          can("targets:write") ? (
            <Button onClick={() => setAdding(true)} disabled={upgradeRequired}>
              Add target
            </Button>
          ) : null
        }
      />
      {upgradeRequired ? (
        <Alert color="yellow" title="Upgrade required" role="status" mb="md">
          Notification targets in LIVE are available on paid plans.
        </Alert>
      ) : null}
      <ErrorAlert error={error} />
      <Table.ScrollContainer minWidth={800}>
        <Table striped highlightOnHover aria-label="Webhook targets" aria-busy={loading}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Name</Table.Th>
              <Table.Th scope="col">URL</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col">Subscriptions</Table.Th>
              <Table.Th scope="col">Email</Table.Th>
              <Table.Th scope="col">Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {targets.map((target) => (
              <Table.Tr key={target.id}>
                <Table.Td>
                  <Anchor component={Link} to={`/developers/webhooks/${target.id}`} fw={600}>
                    {target.name}
                  </Anchor>
                </Table.Td>
                <Table.Td>
                  <Code>{target.uri}</Code>
                </Table.Td>
                <Table.Td>
                  <StatusDot status={target.status} />
                </Table.Td>
                <Table.Td>{target.subscriptions.length} events</Table.Td>
                <Table.Td>{target.email ?? "—"}</Table.Td>
                <Table.Td>{formatDate(target.createdAt)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!loading && targets.length === 0 && !error ? (
        <Text c="dimmed" mt="md">
          No webhook targets yet.
        </Text>
      ) : null}
      <Pager noun="targets" {...paging.pager(connection, loading)} />
      <AddTargetDialog opened={adding} onClose={() => setAdding(false)} onAdded={(id) => navigate(`/developers/webhooks/${id}`)} />
    </>
  );
}

type Target = Extract<WebhookTargetQuery["node"], { __typename: "WebhookNotificationTarget" }>;
type SigningKeys = Extract<WebhookTargetSigningKeysQuery["node"], { __typename: "WebhookNotificationTarget" }>["signingKeys"];

/** A form with one or two text fields in a dialog, for rename and email. */
function TextDialog({
  opened,
  title,
  label,
  field,
  initial,
  type = "text",
  submitLabel,
  onSubmit,
  onClose,
}: {
  opened: boolean;
  title: string;
  label: string;
  field: string;
  initial: string;
  type?: string;
  submitLabel: string;
  onSubmit(value: string): Promise<Outcome<unknown>>;
  onClose(): void;
}) {
  const [value, setValue] = useState(initial);
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  useEffect(() => {
    if (opened) {
      setValue(initial);
      setError(null);
      setFormError(null);
    }
  }, [opened, initial]);
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          const outcome = await onSubmit(value);
          if (outcome.ok) return onClose();
          setError(outcome.fieldErrors[field] ?? null);
          setFormError(outcome.denied ?? outcome.formError);
        }}
        noValidate
      >
        <Stack>
          <TextInput
            label={label}
            type={type}
            required
            data-autofocus
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
            error={error}
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
            <Button type="submit">{submitLabel}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

function SubscriptionsDialog({ target, opened, onClose, onSaved }: { target: Target; opened: boolean; onClose(): void; onSaved(): void }) {
  const [value, setValue] = useState<NotificationEventName[]>(target.subscriptions);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (opened) setValue(target.subscriptions);
  }, [opened, target.subscriptions]);
  async function save(event: FormEvent) {
    event.preventDefault();
    const added = value.filter((name) => !target.subscriptions.includes(name));
    const removed = target.subscriptions.filter((name) => !value.includes(name));
    if (added.length) {
      const outcome = await mutate(
        AddSubscriptionsToNotificationTargetDocument,
        { input: { targetId: target.id, subscriptions: added } },
        (result) => result.addSubscriptionsToNotificationTarget,
      );
      if (!outcome.ok) return setError(outcome.denied ?? outcome.formError ?? Object.values(outcome.fieldErrors).join(" "));
    }
    if (removed.length) {
      const outcome = await mutate(
        RemoveSubscriptionsFromNotificationTargetDocument,
        { input: { targetId: target.id, subscriptions: removed } },
        (result) => result.removeSubscriptionsFromNotificationTarget,
      );
      if (!outcome.ok) return setError(outcome.denied ?? outcome.formError ?? Object.values(outcome.fieldErrors).join(" "));
    }
    notifySuccess("Subscriptions saved.");
    onSaved();
    onClose();
  }
  return (
    <Modal opened={opened} onClose={onClose} title="Subscriptions" centered size="lg">
      <form onSubmit={save}>
        <Stack>
          <SubscriptionsField value={value} onChange={setValue} />
          <ErrorAlert error={error} title="Not saved" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit">Save subscriptions</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

const DELIVERY_FILTERS = [
  { value: "all", label: "All events" },
  { value: "delivered", label: "Delivered" },
  { value: "failing", label: "Failing" },
];

export function WebhookDetailPage() {
  const { id = "" } = useParams();
  const { can } = useSession();
  const navigate = useNavigate();
  const [delivery, setDelivery] = useState("all");
  const eventsFilter = delivery === "all" ? null : { hasSuccessfulDelivery: delivery === "delivered" };
  const { data, error, loading, refetch } = useQuery(WebhookTargetDocument, { id, eventsFilter });
  const [dialog, setDialog] = useState<"rename" | "email" | "subscriptions" | "remove" | null>(null);
  const [keys, setKeys] = useState<SigningKeys | null>(null);
  const target = data?.node?.__typename === "WebhookNotificationTarget" ? data.node : null;
  const writable = can("targets:write");

  // While Keyway verifies a new target, look again every 2 s (at most a minute).
  const pending = target?.status === "PENDING_VERIFICATION";
  useEffect(() => {
    if (!pending) return;
    let checks = 0;
    const timer = window.setInterval(() => {
      if (++checks > 30) window.clearInterval(timer);
      else void refetch();
    }, 2000);
    return () => window.clearInterval(timer);
  }, [pending, refetch]);

  if (!target) {
    return (
      <>
        <PageHeader title="Webhook target" />
        <ErrorAlert error={error} />
        {!loading && !error ? (
          <Alert color="gray" title="Not found" role="alert">
            There is no such target in this environment.{" "}
            <Anchor component={Link} to="/developers/webhooks">
              Back to webhooks
            </Anchor>
          </Alert>
        ) : null}
      </>
    );
  }

  async function run(outcome: Promise<Outcome<{ name: string; status?: string }>>, done: string) {
    const result = await outcome;
    if (!result.ok) return notifyFailure(result);
    notifySuccess(done);
    await refetch();
  }
  const input = { input: { targetId: target.id } };
  // The target's latest attempts, beside its events rather than nested in each (one list, not a list of lists).
  const attemptsByEvent = new Map<string, Target["deliveryAttempts"]["edges"][number]["node"][]>();
  for (const { node } of target.deliveryAttempts.edges) {
    attemptsByEvent.set(node.event.id, [...(attemptsByEvent.get(node.event.id) ?? []), node]);
  }

  return (
    <>
      <Anchor component={Link} to="/developers/webhooks" size="sm">
        ← Webhooks
      </Anchor>
      <PageHeader
        title={target.name}
        description={<Code>{target.uri}</Code>}
        actions={
          writable ? (
            <>
              {target.status !== "ACTIVE" ? (
                <Button
                  color="green"
                  onClick={() =>
                    void run(
                      mutate(ActivateNotificationTargetDocument, input, (r) => r.activateNotificationTarget),
                      "Activation requested.",
                    )
                  }
                >
                  Activate
                </Button>
              ) : null}
              {target.status !== "DEACTIVATED" ? (
                <Button
                  color="red"
                  onClick={() =>
                    void run(
                      mutate(DeactivateNotificationTargetDocument, input, (r) => r.deactivateNotificationTarget),
                      "Target deactivated.",
                    )
                  }
                >
                  Deactivate
                </Button>
              ) : null}
              <Button variant="default" onClick={() => setDialog("rename")}>
                Rename
              </Button>
              <Button variant="default" onClick={() => setDialog("remove")} color="red">
                Remove
              </Button>
            </>
          ) : null
        }
      />
      <SimpleGrid cols={{ base: 1, md: 2 }} mb="lg">
        <Card withBorder>
          <Stack gap="xs">
            <Group justify="space-between">
              <Text fw={600}>Status</Text>
              <StatusDot status={target.status} />
            </Group>
            <Group justify="space-between">
              <Text fw={600}>Email</Text>
              <Group gap="xs">
                <Text size="sm">{target.email ?? "None"}</Text>
                {writable ? (
                  <Button size="compact-xs" variant="default" onClick={() => setDialog("email")}>
                    {target.email ? "Change email" : "Set email"}
                  </Button>
                ) : null}
                {writable && target.email ? (
                  <Button
                    size="compact-xs"
                    variant="default"
                    onClick={() =>
                      void run(
                        mutate(RemoveEmailFromNotificationTargetDocument, input, (r) => r.removeEmailFromNotificationTarget),
                        "Email removed.",
                      )
                    }
                  >
                    Remove email
                  </Button>
                ) : null}
              </Group>
            </Group>
            <Group justify="space-between" align="flex-start">
              <Text fw={600}>Subscriptions</Text>
              {writable ? (
                <Button size="compact-xs" variant="default" onClick={() => setDialog("subscriptions")}>
                  Edit subscriptions
                </Button>
              ) : null}
            </Group>
            <Group gap={4}>
              {target.subscriptions.map((name) => (
                <Badge key={name} variant="outline" color="gray.8" size="sm">
                  {humanize(name)}
                </Badge>
              ))}
            </Group>
            <Text size="xs" c="dimmed">
              Created {formatDate(target.createdAt)} · updated {formatDate(target.updatedAt)}
            </Text>
          </Stack>
        </Card>
        <Card withBorder>
          <Stack gap="xs">
            <Group justify="space-between">
              <Text fw={600}>Signing secrets</Text>
              <Group gap="xs">
                {keys === null ? (
                  <Button
                    size="compact-sm"
                    variant="default"
                    onClick={async () => {
                      const result = await request(WebhookTargetSigningKeysDocument, { id: target.id });
                      setKeys(result.node?.__typename === "WebhookNotificationTarget" ? result.node.signingKeys : []);
                    }}
                  >
                    Reveal secrets
                  </Button>
                ) : (
                  <Button size="compact-sm" variant="default" onClick={() => setKeys(null)}>
                    Hide secrets
                  </Button>
                )}
                {writable ? (
                  <Button
                    size="compact-sm"
                    variant="default"
                    onClick={async () => {
                      setKeys(null);
                      await run(
                        mutate(RotateNotificationTargetSigningKeyDocument, input, (r) => r.rotateNotificationTargetSigningKey),
                        "New signing key added; the previous one expires in 24 hours.",
                      );
                    }}
                  >
                    Rotate signing key
                  </Button>
                ) : null}
              </Group>
            </Group>
            <Text size="xs" c="dimmed">
              Verify each delivery's webhook-signature header with these secrets (Standard Webhooks).
            </Text>
            {keys?.map((key) => (
              <Stack key={key.id} gap={0}>
                <Code block style={{ wordBreak: "break-all" }} data-testid="signing-secret">
                  {key.secret}
                </Code>
                <Text size="xs" c="dimmed">
                  Created {formatDate(key.createdAt)} · {key.expiresAt ? `expires ${formatDate(key.expiresAt)}` : "no expiry"}
                </Text>
              </Stack>
            ))}
          </Stack>
        </Card>
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, md: 2 }} mb="lg">
        <RateLimitCard
          targetId={target.id}
          limit={target.maxDeliveriesPerSecond ?? null}
          writable={writable}
          onSaved={() => void refetch()}
        />
        {can("events:replay") ? (
          <RecoveryCard
            targetId={target.id}
            active={target.status === "ACTIVE"}
            attempts={target.deliveryAttempts.totalCount}
            onRecovered={() => void refetch()}
          />
        ) : null}
      </SimpleGrid>

      <Title order={2} size="h3" mb="xs">
        Status history
      </Title>
      <Table aria-label="Status history" mb="lg" withTableBorder fz="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Time</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">Reason</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {target.statusHistory.edges.map(({ node }) => (
            <Table.Tr key={node.id}>
              <Table.Td>{formatDate(node.createdAt)}</Table.Td>
              <Table.Td>
                <StatusDot status={node.status} />
              </Table.Td>
              <Table.Td>{node.reason}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>

      <Group justify="space-between" mb="xs">
        <Title order={2} size="h3">
          Events ({target.webhookNotificationTargetEvents.totalCount})
        </Title>
        <Group gap="xs">
          <Text size="sm" id="delivery-filter-label">
            Show
          </Text>
          <SegmentedControl
            aria-labelledby="delivery-filter-label"
            data={DELIVERY_FILTERS}
            value={delivery}
            onChange={setDelivery}
            size="xs"
          />
          <Button size="xs" variant="default" onClick={() => void refetch()}>
            Refresh
          </Button>
        </Group>
      </Group>
      <Stack>
        {target.webhookNotificationTargetEvents.edges.map(({ node }) => (
          <Card withBorder key={node.event.id} data-testid="target-event">
            <Group justify="space-between" mb="xs">
              <Group gap="xs">
                <Anchor component={Link} to={`/developers/events/${node.event.id}`} fw={600}>
                  {humanize(node.event.name)}
                </Anchor>
                <Text size="xs" c="dimmed">
                  {formatDate(node.event.createdAt)}
                </Text>
              </Group>
              <StatusDot status={node.hasSuccessfulDelivery ? "SUCCESS" : node.nextAttemptAt ? "PENDING_VERIFICATION" : "FAILURE"} />
            </Group>
            {node.nextAttemptAt ? (
              <Text size="xs" mb="xs">
                Next attempt {formatDate(node.nextAttemptAt)}
              </Text>
            ) : null}
            <AttemptsTable attempts={attemptsByEvent.get(node.event.id) ?? []} label={`Attempts of ${node.event.name} ${node.event.id}`} />
          </Card>
        ))}
        {target.webhookNotificationTargetEvents.edges.length === 0 ? (
          <Text size="sm" c="dimmed">
            No events for this filter.
          </Text>
        ) : null}
      </Stack>

      <TextDialog
        opened={dialog === "rename"}
        title="Rename target"
        label="Name"
        field="name"
        initial={target.name}
        submitLabel="Rename"
        onClose={() => setDialog(null)}
        onSubmit={async (name) => {
          const outcome = await mutate(
            RenameNotificationTargetDocument,
            { input: { targetId: target.id, name } },
            (r) => r.renameNotificationTarget,
            ["name"],
          );
          if (outcome.ok) await refetch();
          return outcome;
        }}
      />
      <TextDialog
        opened={dialog === "email"}
        title="Contact email"
        label="Email"
        field="email"
        type="email"
        initial={target.email ?? ""}
        submitLabel="Save email"
        onClose={() => setDialog(null)}
        onSubmit={async (email) => {
          const outcome = await mutate(
            SetEmailForNotificationTargetDocument,
            { input: { targetId: target.id, email } },
            (r) => r.setEmailForNotificationTarget,
            ["email"],
          );
          if (outcome.ok) await refetch();
          return outcome;
        }}
      />
      <SubscriptionsDialog
        target={target}
        opened={dialog === "subscriptions"}
        onClose={() => setDialog(null)}
        onSaved={() => void refetch()}
      />
      <ConfirmDialog
        opened={dialog === "remove"}
        title={`Remove target ${target.name}?`}
        confirmLabel="Remove target"
        onClose={() => setDialog(null)}
        onConfirm={async () => {
          const outcome = await mutate(RemoveNotificationTargetDocument, input, (r) => r.removeNotificationTarget);
          setDialog(null);
          if (!outcome.ok) return notifyFailure(outcome);
          notifySuccess(`Target ${target.name} removed.`);
          void navigate("/developers/webhooks");
        }}
      >
        <Text size="sm">Keyway stops delivering to this URL at once. Its delivery history stays in the events.</Text>
      </ConfirmDialog>
    </>
  );
}
