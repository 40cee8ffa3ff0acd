import { Alert, Anchor, Badge, Button, Code, Group, NumberInput, Paper, SimpleGrid, Stack, Text, Textarea, Title } from "@mantine/core";
import { FormEvent, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "../api/hooks";
import { mutate, notifySuccess } from "../api/payload";
import { ErrorAlert, PageHeader, RoleBadge, StatusDot } from "../components/common";
import { formatDate } from "../components/format";
import { UsageChart, usageSummary } from "../components/UsageChart";
import { ApiKeyDocument, type ApiKeyQuery, UpdateApiKeyDocument } from "../gql/graphql";
import { useSession } from "../session";

type Key = Extract<NonNullable<ApiKeyQuery["node"]>, { __typename: "APIKey" }>;

const METADATA_LIMIT = 4096;

/** The metadata editor's text: an object, or why it is not one. */
function parseMetadata(text: string): { value: Record<string, unknown> | null; error: string | null } {
  if (!text.trim()) return { value: null, error: null };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { value: null, error: `Not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return { value: null, error: "Metadata is a JSON object: { … }" };
  const size = new TextEncoder().encode(JSON.stringify(value)).length;
  if (size > METADATA_LIMIT) return { value: null, error: `${size} bytes as JSON; at most ${METADATA_LIMIT}` };
  return { value: value as Record<string, unknown>, error: null };
}

function ipLines(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Allowed IPs, rate limit and metadata of a key; each server error at its field. */
function KeyControlsForm({ apiKey, onSaved }: { apiKey: Key; onSaved(): Promise<void> }) {
  const [ips, setIps] = useState(apiKey.allowedIps.join("\n"));
  const [limit, setLimit] = useState<number | string>(apiKey.rateLimit?.limit ?? "");
  const [windowSeconds, setWindowSeconds] = useState<number | string>(apiKey.rateLimit?.windowSeconds ?? "");
  const [metadata, setMetadata] = useState(apiKey.metadata ? JSON.stringify(apiKey.metadata, null, 2) : "");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const parsed = parseMetadata(metadata);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const local: Record<string, string> = {};
    const hasLimit = limit !== "" || windowSeconds !== "";
    if (hasLimit && (limit === "" || windowSeconds === "")) {
      local[limit === "" ? "limit" : "windowSeconds"] = "Give both numbers, or clear both for no limit";
    }
    if (parsed.error) local.metadata = parsed.error;
    setErrors(local);
    setFormError(null);
    if (Object.keys(local).length) return;
    const lines = ipLines(ips);
    setBusy(true);
    const outcome = await mutate(
      UpdateApiKeyDocument,
      {
        input: {
          apiKeyId: apiKey.id,
          allowedIps: lines.length ? lines : null,
          rateLimit: hasLimit ? { limit: Number(limit), windowSeconds: Number(windowSeconds) } : null,
          metadata: parsed.value,
        },
      },
      (result) => result.updateAPIKey,
      ["allowedIps", "limit", "windowSeconds", "rateLimit", "metadata"],
    );
    setBusy(false);
    if (outcome.ok) {
      notifySuccess(`Controls of ${outcome.value.name} saved.`);
      await onSaved();
      return;
    }
    // An address the server refused is named by its line.
    const fieldErrors = { ...outcome.fieldErrors };
    const ipErrors = outcome.errors.filter((error) => error.errorPath.includes("allowedIps"));
    if (ipErrors.length) {
      fieldErrors.allowedIps = ipErrors
        .map((error) => {
          const index = Number(error.errorPath[error.errorPath.indexOf("allowedIps") + 1]);
          return Number.isInteger(index) && lines[index] !== undefined
            ? `Line ${index + 1} (${lines[index]}): ${error.description}`
            : error.description;
        })
        .join("; ");
    }
    if (fieldErrors.rateLimit) fieldErrors.limit = fieldErrors.rateLimit;
    setErrors(fieldErrors);
    setFormError(outcome.denied ?? outcome.formError);
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Key controls">
      <Stack>
        <Textarea
          label="Allowed IP addresses"
          description="One IPv4 or IPv6 address or CIDR range per line (at most 50), e.g. 203.0.113.7 or 10.0.0.0/8. Empty: any address."
          autosize
          minRows={3}
          value={ips}
          onChange={(e) => setIps(e.currentTarget.value)}
          error={errors.allowedIps}
          styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
        />
        <Stack gap={4}>
          <Group align="flex-start" grow>
            {[
              { field: "limit", label: "Rate limit: requests", description: "1–1,000,000", max: 1_000_000, value: limit, set: setLimit },
              {
                field: "windowSeconds",
                label: "per seconds",
                description: "1–86,400 (a day)",
                max: 86_400,
                value: windowSeconds,
                set: setWindowSeconds,
              },
            ].map((input) => (
              <NumberInput
                key={input.field}
                label={input.label}
                description={input.description}
                min={1}
                max={input.max}
                allowDecimal={false}
                clampBehavior="none"
                value={input.value}
                onChange={input.set}
                error={errors[input.field]}
              />
            ))}
          </Group>
          <Group justify="space-between">
            <Text size="xs" c="dimmed">
              Past the limit, requests get HTTP 429 with Retry-After. Both empty: no limit.
            </Text>
            <Button
              variant="subtle"
              size="compact-sm"
              onClick={() => {
                setLimit("");
                setWindowSeconds("");
              }}
              disabled={limit === "" && windowSeconds === ""}
            >
              Remove limit
            </Button>
          </Group>
        </Stack>
        <Textarea
          label="Metadata (JSON)"
          description={`A JSON object of your own, up to ${METADATA_LIMIT} bytes; Keyway returns it as given and never reads it. Empty: none.`}
          autosize
          minRows={4}
          value={metadata}
          onChange={(e) => {
            setMetadata(e.currentTarget.value);
            setErrors(({ metadata: _, ...rest }) => rest);
          }}
          error={parsed.error ?? errors.metadata}
          styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
          spellCheck={false}
        />
        <ErrorAlert error={formError} title="Not saved" />
        <Group justify="flex-end">
          <Button type="submit" loading={busy}>
            Save controls
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function Detail({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Stack gap={2}>
      <Text size="xs" fw={700} tt="uppercase" c="dimmed">
        {label}
      </Text>
      <div>{children}</div>
    </Stack>
  );
}

export function ApiKeyDetailPage() {
  const { id = "" } = useParams();
  const { can } = useSession();
  const { data, error, loading, refetch } = useQuery(ApiKeyDocument, { id });
  const apiKey = data?.node?.__typename === "APIKey" ? data.node : null;
  const back = (
    <Anchor component={Link} to="/developers/api-keys" size="sm">
      ← API keys
    </Anchor>
  );
  if (!apiKey) {
    return (
      <>
        {back}
        <ErrorAlert error={error} />
        {!loading && !error ? (
          <Alert color="gray" title="Key not found" role="alert" mt="md">
            There is no API key with this id in this environment.
          </Alert>
        ) : null}
      </>
    );
  }
  const total30 = apiKey.usage.reduce((sum, day) => sum + day.requestCount, 0);
  return (
    <>
      {back}
      <PageHeader title={apiKey.name} description={apiKey.description ?? undefined} />
      <Paper withBorder p="md" mb="lg">
        <SimpleGrid cols={{ base: 2, md: 4 }} spacing="md">
          <Detail label="Key">
            <Code>{apiKey.redactedKey}</Code>
          </Detail>
          <Detail label="Role">
            <RoleBadge role={apiKey.role} />
          </Detail>
          <Detail label="Status">
            <StatusDot status={apiKey.status} />
          </Detail>
          <Detail label="Usage">
            <Text size="sm">{apiKey.usageCount} requests</Text>
          </Detail>
          <Detail label="Last used">
            <Text size="sm">{formatDate(apiKey.lastUsedAt)}</Text>
          </Detail>
          <Detail label="Expires">
            <Text size="sm">{formatDate(apiKey.expiresAt)}</Text>
          </Detail>
          <Detail label="Created">
            <Text size="sm">{formatDate(apiKey.createdAt)}</Text>
          </Detail>
          <Detail label="Rate limit">
            <Text size="sm" data-testid="rate-limit">
              {apiKey.rateLimit ? `${apiKey.rateLimit.limit} per ${apiKey.rateLimit.windowSeconds} s` : "No limit"}
            </Text>
          </Detail>
        </SimpleGrid>
        <Stack gap={4} mt="md">
          <Text size="xs" fw={700} tt="uppercase" c="dimmed">
            Permissions
          </Text>
          <Group gap={6} data-testid="key-permissions">
            {apiKey.permissions.map((permission) => (
              <Badge key={permission} variant="outline" color="gray.8" radius="sm" tt="none">
                {permission}
              </Badge>
            ))}
          </Group>
        </Stack>
      </Paper>
      <Title order={2} size="h4" mb={4}>
        Daily usage
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        {total30} requests in the last 30 days (UTC days; today may lag by a second). Point at a bar for its day.
      </Text>
      <Paper withBorder p="md" mb="lg">
        <UsageChart usage={apiKey.usage} size="large" />
        <Text size="xs" c="dimmed" mt={4}>
          {usageSummary(apiKey.usage)}
        </Text>
      </Paper>
      <Title order={2} size="h4" mb="sm">
        Controls
      </Title>
      {can("keys:write") ? (
        <Paper withBorder p="md">
          <KeyControlsForm
            key={JSON.stringify([apiKey.id, apiKey.allowedIps, apiKey.rateLimit, apiKey.metadata])}
            apiKey={apiKey}
            onSaved={refetch}
          />
        </Paper>
      ) : (
        <Paper withBorder p="md">
          <Stack gap="xs">
            <Detail label="Allowed IP addresses">
              <Text size="sm">{apiKey.allowedIps.length ? apiKey.allowedIps.join(", ") : "Any address"}</Text>
            </Detail>
            <Detail label="Metadata">
              {apiKey.metadata ? <Code block>{JSON.stringify(apiKey.metadata, null, 2)}</Code> : <Text size="sm">None</Text>}
            </Detail>
          </Stack>
        </Paper>
      )}
    </>
  );
}
