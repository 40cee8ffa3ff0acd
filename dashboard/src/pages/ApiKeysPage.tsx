import {
  Alert,
  Anchor,
  Button,
  Code,
  Group,
  List,
  Menu,
  Modal,
  NativeSelect,
  Stack,
  Table,
  Text,
  TextInput,
  Textarea,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { FormEvent, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { request } from "../api/client";
import { usePaging, useQuery } from "../api/hooks";
import { mutate, notifyFailure, notifySuccess } from "../api/payload";
import { ConfirmDialog, ErrorAlert, PageHeader, Pager, RoleBadge, StatusDot } from "../components/common";
import { formatDate } from "../components/format";
import { KeyReveal } from "../components/KeyReveal";
import { PermissionPicker } from "../components/PermissionPicker";
import { UsageChart } from "../components/UsageChart";
import {
  ActivateApiKeyDocument,
  ApiKeysDocument,
  type ApiKeysQuery,
  type ApiKeyRole,
  type ApiKeyStatus,
  CreateSecretApiKeyDocument,
  DeactivateApiKeyDocument,
  DeleteApiKeyDocument,
  RevokeApiKeyDocument,
  RotateApiKeyDocument,
  RotateSharedSecretDocument,
  SharedSecretDocument,
  type SharedSecretQuery,
  UpdateApiKeyDocument,
} from "../gql/graphql";
import { useSession } from "../session";

const PAGE_SIZES = ["10", "25", "50", "100"];

type Key = ApiKeysQuery["organizations"][number]["apiKeys"]["edges"][number]["node"];

const GRACE_PERIODS = [
  { value: "0", label: "Immediately" },
  { value: "3600", label: "After 1 hour" },
  { value: "86400", label: "After 24 hours" },
  { value: "604800", label: "After 7 days" },
];

/** A date input's value (YYYY-MM-DD) as the end of that day, local time. */
function endOfDay(date: string): string | null {
  if (!date) return null;
  const value = new Date(`${date}T23:59:59`);
  return Number.isNaN(value.getTime()) ? null : value.toISOString();
}

function dateInputValue(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Roles the viewer may give a key: no key with more than the viewer holds (a RESTRICTED key holds a chosen part of it). */
function grantableRoles(can: (permission: string) => boolean): ApiKeyRole[] {
  return can("secret:write") && can("users:write") ? ["READONLY", "RESTRICTED", "ADMIN"] : ["READONLY", "RESTRICTED"];
}

const ROLE_HELP = "ADMIN can change everything; READONLY only reads; RESTRICTED holds exactly the permissions you choose.";

interface KeyFormValues {
  name: string;
  description: string;
  role: ApiKeyRole;
  expires: string;
  permissions: string[];
}

function KeyForm({
  initial,
  roles,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  initial: KeyFormValues;
  roles: ApiKeyRole[];
  submitLabel: string;
  onSubmit(values: KeyFormValues): Promise<{ fieldErrors: Record<string, string>; formError: string | null } | null>;
  onCancel(): void;
}) {
  const { can } = useSession();
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const failed = await onSubmit(values);
    setBusy(false);
    setErrors(failed?.fieldErrors ?? {});
    setFormError(failed?.formError ?? null);
  }
  return (
    <form onSubmit={submit} noValidate>
      <Stack>
        <TextInput
          label="Name"
          required
          data-autofocus
          description="Say what it is for and where, e.g. prod-main-app, staging-api, crm-integration. Avoid personal names and customer information."
          value={values.name}
          onChange={(e) => setValues({ ...values, name: e.currentTarget.value })}
          error={errors.name}
        />
        <Textarea
          label="Description"
          autosize
          minRows={2}
          value={values.description}
          onChange={(e) => setValues({ ...values, description: e.currentTarget.value })}
          error={errors.description}
        />
        <NativeSelect
          label="Role"
          description={ROLE_HELP}
          data={roles}
          value={values.role}
          onChange={(e) => setValues({ ...values, role: e.currentTarget.value as ApiKeyRole })}
          error={errors.role}
        />
        {values.role === "RESTRICTED" ? (
          <PermissionPicker
            value={values.permissions}
            onChange={(permissions) => setValues({ ...values, permissions })}
            can={can}
            error={errors.permissions}
          />
        ) : null}
        <TextInput
          label="Expiry date (optional)"
          description="The key stops working at the end of this day. Leave empty for a key that never expires."
          type="date"
          value={values.expires}
          onChange={(e) => setValues({ ...values, expires: e.currentTarget.value })}
          error={errors.expiresAt}
        />
        {formError ? (
          <Alert color="red" role="alert">
            {formError}
          </Alert>
        ) : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={busy}>
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function CreateKeyDialog({ opened, onClose, onCreated }: { opened: boolean; onClose(): void; onCreated(): void }) {
  const { can } = useSession();
  const [secret, setSecret] = useState<string | null>(null);
  const close = () => {
    setSecret(null);
    onClose();
  };
  return (
    <Modal
      opened={opened}
      onClose={close}
      title={secret ? "Your new API key" : "Create API key"}
      centered
      size="lg"
      closeOnClickOutside={!secret}
    >
      {secret ? (
        <KeyReveal secret={secret} onDone={close} />
      ) : (
        <KeyForm
          initial={{ name: "", description: "", role: "READONLY", expires: "", permissions: [] }}
          roles={grantableRoles(can)}
          submitLabel="Create API key"
          onCancel={close}
          onSubmit={async (values) => {
            const outcome = await mutate(
              CreateSecretApiKeyDocument,
              {
                input: {
                  secretKey: {
                    name: values.name,
                    description: values.description || null,
                    role: values.role,
                    permissions: values.role === "RESTRICTED" ? values.permissions : null,
                    expiresAt: endOfDay(values.expires),
                  },
                },
              },
              (result) => result.createSecretAPIKey,
              ["name", "description", "role", "expiresAt", "permissions"],
            );
            if (outcome.ok) {
              setSecret(outcome.value.key ?? "");
              onCreated();
              return null;
            }
            return { fieldErrors: outcome.fieldErrors, formError: outcome.denied ?? outcome.formError };
          }}
        />
      )}
    </Modal>
  );
}

function EditKeyDialog({ apiKey, onClose, onSaved }: { apiKey: Key | null; onClose(): void; onSaved(): void }) {
  const { can } = useSession();
  return (
    <Modal opened={apiKey !== null} onClose={onClose} title={`Modify API key ${apiKey?.name ?? ""}`} centered size="lg">
      {apiKey ? (
        <KeyForm
          initial={{
            name: apiKey.name,
            description: apiKey.description ?? "",
            role: apiKey.role,
            expires: dateInputValue(apiKey.expiresAt),
            permissions: apiKey.role === "RESTRICTED" ? apiKey.permissions : [],
          }}
          roles={Array.from(new Set([...grantableRoles(can), apiKey.role]))}
          submitLabel="Save"
          onCancel={onClose}
          onSubmit={async (values) => {
            const outcome = await mutate(
              UpdateApiKeyDocument,
              {
                input: {
                  apiKeyId: apiKey.id,
                  name: values.name,
                  description: values.description || null,
                  role: values.role,
                  ...(values.role === "RESTRICTED" ? { permissions: values.permissions } : {}),
                  expiresAt: endOfDay(values.expires),
                },
              },
              (result) => result.updateAPIKey,
              ["name", "description", "role", "expiresAt", "permissions"],
            );
            if (outcome.ok) {
              notifySuccess(`API key ${outcome.value.name} saved.`);
              onSaved();
              onClose();
              return null;
            }
            return { fieldErrors: outcome.fieldErrors, formError: outcome.denied ?? outcome.formError };
          }}
        />
      ) : null}
    </Modal>
  );
}

function RotateKeyDialog({ apiKey, onClose, onRotated }: { apiKey: Key | null; onClose(): void; onRotated(): void }) {
  const [grace, setGrace] = useState("3600");
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const close = () => {
    setSecret(null);
    setError(null);
    onClose();
  };
  async function rotate(event: FormEvent) {
    event.preventDefault();
    if (!apiKey) return;
    setBusy(true);
    const outcome = await mutate(
      RotateApiKeyDocument,
      { input: { apiKeyId: apiKey.id, expireOldKeyInSeconds: Number(grace) } },
      (result) => result.rotateAPIKey,
    );
    setBusy(false);
    if (outcome.ok) {
      setSecret(outcome.value.key ?? "");
      onRotated();
    } else setError(outcome.denied ?? outcome.formError ?? Object.values(outcome.fieldErrors).join(" "));
  }
  return (
    <Modal
      opened={apiKey !== null}
      onClose={close}
      title={secret ? "The new API key" : `Rotate API key ${apiKey?.name ?? ""}`}
      centered
      size="lg"
    >
      {secret ? (
        <KeyReveal secret={secret} onDone={close} />
      ) : (
        <form onSubmit={rotate}>
          <Stack>
            <Text size="sm">Rotating creates a new key with the same name, role and expiry. Recommended handoff:</Text>
            <List type="ordered" size="sm" spacing={4}>
              <List.Item>Tell the technical owner before rotating.</List.Item>
              <List.Item>Rotate the key.</List.Item>
              <List.Item>Copy and deliver the new key through your approved secure process.</List.Item>
              <List.Item>Ask the technical owner to confirm the update is complete.</List.Item>
            </List>
            <NativeSelect
              label="The old key stops working"
              description="Give the owner time to switch: the old key keeps working until then."
              data={GRACE_PERIODS}
              value={grace}
              onChange={(e) => setGrace(e.currentTarget.value)}
            />
            {error ? (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit" loading={busy}>
                Rotate key
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

function SharedSecretDialog({ opened, onClose }: { opened: boolean; onClose(): void }) {
  const { can } = useSession();
  const [secret, setSecret] = useState<NonNullable<SharedSecretQuery["organizations"][number]["sharedSecret"]> | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const close = () => {
    setSecret(null);
    setError(null);
    setConfirming(false);
    onClose();
  };
  async function reveal() {
    try {
      const data = await request(SharedSecretDocument, {});
      setSecret(data.organizations[0]?.sharedSecret ?? null);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  }
  async function rotate() {
    const outcome = await mutate(RotateSharedSecretDocument, {}, (result) => result.rotateSharedSecret);
    setConfirming(false);
    if (outcome.ok) {
      setSecret(outcome.value);
      notifySuccess("Shared secret rotated. The previous one keeps working for 24 hours.");
    } else setError(outcome.denied ?? outcome.formError);
  }
  return (
    <Modal opened={opened} onClose={close} title="API shared secret" centered size="lg">
      <Stack>
        <Text size="sm">
          Integrations can sign short-lived JWTs (HS256, at most one hour) with this secret instead of sending an API key. After a rotation
          the previous secret keeps working for 24 hours.
        </Text>
        {secret ? (
          <Stack gap={4}>
            <Code block data-testid="shared-secret" style={{ wordBreak: "break-all" }}>
              {secret.secret}
            </Code>
            <Text size="xs" c="dimmed">
              Created {formatDate(secret.createdAt)}
              {secret.previousSecretExpiresAt ? ` · previous secret works until ${formatDate(secret.previousSecretExpiresAt)}` : ""}
            </Text>
          </Stack>
        ) : null}
        <ErrorAlert error={error} title="Not done" />
        {confirming ? (
          <Alert color="red" title="Rotate the shared secret?" role="alertdialog">
            <Stack>
              <Text size="sm">Integrations signing with the current secret must switch to the new one within 24 hours.</Text>
              <Group>
                <Button variant="default" onClick={() => setConfirming(false)}>
                  Cancel
                </Button>
                <Button color="red" onClick={() => void rotate()}>
                  Rotate now
                </Button>
              </Group>
            </Stack>
          </Alert>
        ) : null}
        <Group justify="flex-end">
          {!secret ? <Button onClick={() => void reveal()}>Reveal secret</Button> : null}
          {can("secret:write") && !confirming ? (
            <Button variant="default" onClick={() => setConfirming(true)}>
              Rotate secret
            </Button>
          ) : null}
        </Group>
      </Stack>
    </Modal>
  );
}

export function ApiKeysPage() {
  const { can, viewer, environment } = useSession();
  const [search, setSearch] = useState("");
  const [debouncedSearch] = useDebouncedValue(search.trim(), 250);
  const [status, setStatus] = useState("");
  const [role, setRole] = useState("");
  const filterBy = {
    search: debouncedSearch || null,
    status: status ? [status as ApiKeyStatus] : null,
    role: role ? [role as ApiKeyRole] : null,
  };
  // Rows per page lives in the address (?rows=50), so a bookmarked or shared table opens the same way.
  const [params, setParams] = useSearchParams();
  const pageSize = PAGE_SIZES.includes(params.get("rows") ?? "") ? Number(params.get("rows")) : 10;
  const setPageSize = (rows: number) =>
    setParams(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (rows === 10) next.delete("rows");
        else next.set("rows", String(rows));
        return next;
      },
      { replace: true },
    );
  const paging = usePaging(pageSize, JSON.stringify({ filterBy, pageSize }));
  const { data, error, loading, refetch } = useQuery(ApiKeysDocument, { ...paging.cursor, filterBy });
  const [creating, setCreating] = useState(false);
  const [sharedSecret, setSharedSecret] = useState(false);
  const [editing, setEditing] = useState<Key | null>(null);
  const [rotating, setRotating] = useState<Key | null>(null);
  const [revoking, setRevoking] = useState<Key | null>(null);
  const [deleting, setDeleting] = useState<Key | null>(null);

  const upgradeRequired = viewer?.organization.plan === "FREE" && environment === "LIVE";
  const writable = can("keys:write");
  const connection = data?.organizations[0]?.apiKeys;
  const keys = connection?.edges.map((edge) => edge.node) ?? [];

  async function toggle(key: Key) {
    const activate = key.status === "DEACTIVATED";
    const outcome = activate
      ? await mutate(ActivateApiKeyDocument, { input: { apiKeyId: key.id } }, (result) => result.activateAPIKey)
      : await mutate(DeactivateApiKeyDocument, { input: { apiKeyId: key.id } }, (result) => result.deactivateAPIKey);
    if (!outcome.ok) return notifyFailure(outcome);
    notifySuccess(`API key ${key.name} ${activate ? "activated" : "deactivated"}.`);
    await refetch();
  }

  return (
    <>
      <PageHeader
        title="API keys"
        description={`Secret keys for the ${environment} environment. A key is shown once, when it is created or rotated.`}
        actions={
          <>
            {can("secret:read") ? (
              <Button variant="default" onClick={() => setSharedSecret(true)}>
                API shared secret
              </Button>
            ) : null}
            {writable ? (
              <Button onClick={() => setCreating(true)} disabled={upgradeRequired}>
                Create API key
              </Button>
            ) : null}
          </>
        }
      />
      {upgradeRequired ? (
        <Alert color="yellow" title="Upgrade required" role="status" mb="md" data-testid="upgrade-required">
          API keys in LIVE are available on paid plans. Your organization is on the free plan; TEST keys work as usual.
        </Alert>
      ) : null}
      <Group mb="md" align="flex-end" wrap="wrap">
        <TextInput
          label="Search by name"
          placeholder="e.g. prod-main-app"
          type="search"
          value={search}
          onChange={(e) => setSearch(e.currentTarget.value)}
          w={260}
        />
        <NativeSelect
          label="Status"
          value={status}
          onChange={(e) => setStatus(e.currentTarget.value)}
          data={[
            { value: "", label: "All statuses" },
            { value: "ACTIVE", label: "Active" },
            { value: "DEACTIVATED", label: "Deactivated (blocked)" },
            { value: "REVOKED", label: "Revoked" },
            { value: "EXPIRED", label: "Expired" },
          ]}
        />
        <NativeSelect
          label="Role"
          value={role}
          onChange={(e) => setRole(e.currentTarget.value)}
          data={[
            { value: "", label: "All roles" },
            { value: "ADMIN", label: "ADMIN" },
            { value: "READONLY", label: "READONLY" },
            { value: "RESTRICTED", label: "RESTRICTED" },
          ]}
        />
        <NativeSelect
          label="Rows per page"
          value={String(pageSize)}
          onChange={(e) => setPageSize(Number(e.currentTarget.value))}
          data={PAGE_SIZES}
        />
      </Group>
      <ErrorAlert error={error} />
      <Table.ScrollContainer minWidth={960}>
        <Table
          striped
          highlightOnHover
          verticalSpacing="sm"
          horizontalSpacing="xs"
          aria-label="API keys"
          aria-busy={loading}
          data-testid="api-keys-table"
          styles={{ th: { whiteSpace: "nowrap" } }}
        >
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Name</Table.Th>
              <Table.Th scope="col">Key</Table.Th>
              <Table.Th scope="col">Role</Table.Th>
              <Table.Th scope="col">Status</Table.Th>
              <Table.Th scope="col" title="Requests in all, and per day over the last 14 days">
                Usage
              </Table.Th>
              <Table.Th scope="col">Last used</Table.Th>
              <Table.Th scope="col">Expires</Table.Th>
              <Table.Th scope="col">Created</Table.Th>
              {writable ? <Table.Th scope="col">Actions</Table.Th> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {keys.map((key) => {
              const live = key.status === "ACTIVE" || key.status === "DEACTIVATED";
              return (
                <Table.Tr key={key.id} data-key-id={key.id} data-status={key.status}>
                  <Table.Td miw={170}>
                    <Anchor component={Link} to={`/developers/api-keys/${encodeURIComponent(key.id)}`} fw={600} size="sm">
                      {key.name}
                    </Anchor>
                    {key.description ? (
                      <Text size="xs" c="dimmed">
                        {key.description}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Code style={{ whiteSpace: "nowrap" }}>{key.redactedKey}</Code>
                  </Table.Td>
                  <Table.Td>
                    <RoleBadge role={key.role} />
                  </Table.Td>
                  <Table.Td>
                    <StatusDot status={key.status} />
                  </Table.Td>
                  <Table.Td data-column="usage">
                    <Stack gap={2}>
                      <Text size="sm">{key.usageCount}</Text>
                      <UsageChart usage={key.usage} />
                    </Stack>
                  </Table.Td>
                  <Table.Td data-column="last-used" style={{ whiteSpace: "nowrap" }}>
                    {formatDate(key.lastUsedAt)}
                  </Table.Td>
                  <Table.Td data-column="expires" style={{ whiteSpace: "nowrap" }}>
                    {formatDate(key.expiresAt)}
                  </Table.Td>
                  <Table.Td style={{ whiteSpace: "nowrap" }} title={formatDate(key.createdAt)}>
                    {formatDate(key.createdAt).slice(0, 10)}
                  </Table.Td>
                  {writable ? (
                    <Table.Td>
                      <Group gap="xs" wrap="nowrap">
                        {live ? (
                          <Button size="xs" color={key.status === "DEACTIVATED" ? "green" : "red"} onClick={() => void toggle(key)}>
                            {key.status === "DEACTIVATED" ? "Activate" : "Deactivate"}
                          </Button>
                        ) : null}
                        <Menu position="bottom-end" withinPortal>
                          <Menu.Target>
                            <Button size="xs" variant="default" px={8} aria-label={`More actions for ${key.name}`}>
                              ⋯
                            </Button>
                          </Menu.Target>
                          <Menu.Dropdown>
                            <Menu.Item onClick={() => setEditing(key)}>Modify</Menu.Item>
                            {live ? <Menu.Item onClick={() => setRotating(key)}>Rotate</Menu.Item> : null}
                            {live ? (
                              <Menu.Item color="red" onClick={() => setRevoking(key)}>
                                Revoke
                              </Menu.Item>
                            ) : null}
                            <Menu.Item color="red" onClick={() => setDeleting(key)}>
                              Delete
                            </Menu.Item>
                          </Menu.Dropdown>
                        </Menu>
                      </Group>
                    </Table.Td>
                  ) : null}
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {!loading && keys.length === 0 && !error ? (
        <Text c="dimmed" mt="md">
          {debouncedSearch || status || role ? "No key matches these filters." : "No API keys yet."}{" "}
          {writable && !upgradeRequired && !debouncedSearch ? (
            <Anchor component="button" type="button" onClick={() => setCreating(true)}>
              Create the first one.
            </Anchor>
          ) : null}
        </Text>
      ) : null}
      <Pager noun="keys" {...paging.pager(connection, loading)} />

      <CreateKeyDialog opened={creating} onClose={() => setCreating(false)} onCreated={() => void refetch()} />
      <EditKeyDialog apiKey={editing} onClose={() => setEditing(null)} onSaved={() => void refetch()} />
      <RotateKeyDialog apiKey={rotating} onClose={() => setRotating(null)} onRotated={() => void refetch()} />
      <SharedSecretDialog opened={sharedSecret} onClose={() => setSharedSecret(false)} />
      <ConfirmDialog
        opened={revoking !== null}
        title={`Revoke API key ${revoking?.name ?? ""}?`}
        confirmLabel="Revoke API key"
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          if (!revoking) return;
          const outcome = await mutate(RevokeApiKeyDocument, { input: { apiKeyId: revoking.id } }, (result) => result.revokeAPIKey);
          setRevoking(null);
          if (!outcome.ok) return notifyFailure(outcome);
          notifySuccess(`API key ${outcome.value.name} revoked.`);
          await refetch();
        }}
      >
        <Text size="sm" fw={600}>
          Revocation cannot be undone for this key: every request with it is refused from now on.
        </Text>
        <List size="sm" spacing={4}>
          <List.Item>Confirm the key is no longer needed.</List.Item>
          <List.Item>Confirm any replacement key is already in use.</List.Item>
          <List.Item>Check with the technical owner if you are unsure.</List.Item>
        </List>
      </ConfirmDialog>
      <ConfirmDialog
        opened={deleting !== null}
        title={`Delete API key ${deleting?.name ?? ""}?`}
        confirmLabel="Delete API key"
        onClose={() => setDeleting(null)}
        onConfirm={async () => {
          if (!deleting) return;
          const outcome = await mutate(DeleteApiKeyDocument, { input: { apiKeyId: deleting.id } }, (result) => result.deleteAPIKey);
          const name = deleting.name;
          setDeleting(null);
          if (!outcome.ok) return notifyFailure(outcome);
          notifySuccess(`API key ${name} deleted.`);
          await refetch();
        }}
      >
        <Text size="sm">The key stops working at once and disappears from this list. The audit log keeps its history.</Text>
      </ConfirmDialog>
    </>
  );
}
