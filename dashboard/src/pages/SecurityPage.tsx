import {
  Alert,
  Anchor,
  Badge,
  Box,
  Button,
  Code,
  CopyButton,
  Group,
  List,
  Paper,
  SimpleGrid,
  Stack,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import QRCode from "qrcode";
import { FormEvent, useMemo, useState } from "react";
import { useNavigate } from "react-router";
import { mutate, notifySuccess } from "../api/payload";
import { PageHeader } from "../components/common";
import { ConfirmTwoFactorDocument, DisableTwoFactorDocument, EnableTwoFactorDocument } from "../gql/graphql";
import { useSession } from "../session";
import { settings } from "../settings";

export const SECURITY_PATH = "/settings/security";

/** The otpauth URI as a QR code: the qrcode library encodes it, the modules are drawn as one SVG path. */
function QrCode({ value }: { value: string }) {
  const path = useMemo(() => {
    const { modules } = QRCode.create(value, { errorCorrectionLevel: "M" });
    const parts: string[] = [];
    for (let row = 0; row < modules.size; row++) {
      for (let column = 0; column < modules.size; column++) if (modules.get(row, column)) parts.push(`M${column + 4},${row + 4}h1v1h-1z`);
    }
    return { d: parts.join(""), size: modules.size + 8 };
  }, [value]);
  return (
    <Box
      component="svg"
      role="img"
      aria-label="QR code of the set-up link: scan it with your authenticator app"
      data-testid="two-factor-qr"
      viewBox={`0 0 ${path.size} ${path.size}`}
      width={200}
      height={200}
      shapeRendering="crispEdges"
      style={{ background: "white", border: "1px solid var(--mantine-color-gray-3)", borderRadius: 4 }}
    >
      <path d={path.d} fill="black" />
    </Box>
  );
}

/** "ABCD EFGH …": a base32 secret in groups of four, easier to type. */
function grouped(secret: string): string {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

function CodeForm({
  label,
  description,
  submitLabel,
  colour,
  onSubmit,
}: {
  label: string;
  description: string;
  submitLabel: string;
  colour?: string;
  onSubmit(code: string): Promise<string | null>;
}) {
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const failed = await onSubmit(code.trim());
    setBusy(false);
    setError(failed);
    if (failed) setCode("");
  }
  return (
    <form onSubmit={submit} noValidate>
      <Group align="flex-start">
        <TextInput
          label={label}
          description={description}
          autoComplete="one-time-code"
          required
          value={code}
          onChange={(e) => setCode(e.currentTarget.value)}
          error={error}
          w={320}
        />
        <Button type="submit" loading={busy} color={colour} mt={44}>
          {submitLabel}
        </Button>
      </Group>
    </form>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone(): void }) {
  const text = `${settings.title} recovery codes\nEach works once, instead of an authenticator code.\n\n${codes.join("\n")}\n`;
  return (
    <Stack>
      <Alert color="yellow" title="Save your recovery codes now" role="status">
        If you lose your authenticator, each of these codes signs you in once. They are shown only this once.
      </Alert>
      <SimpleGrid
        cols={2}
        spacing={4}
        maw={360}
        component="ul"
        aria-label="Recovery codes"
        data-testid="recovery-codes"
        style={{ listStyle: "none", padding: 0, margin: 0 }}
      >
        {codes.map((code) => (
          <Code component="li" key={code} fz="md" ta="center">
            {code}
          </Code>
        ))}
      </SimpleGrid>
      <Group>
        <CopyButton value={codes.join("\n")}>
          {({ copied, copy }) => (
            <Button variant="default" onClick={copy} aria-live="polite">
              {copied ? "Copied" : "Copy codes"}
            </Button>
          )}
        </CopyButton>
        <Anchor href={`data:text/plain;charset=utf-8,${encodeURIComponent(text)}`} download="recovery-codes.txt" size="sm">
          Download as a text file
        </Anchor>
        <Button onClick={onDone}>I've saved them</Button>
      </Group>
    </Stack>
  );
}

function failureText(outcome: { denied: string | null; formError: string | null; errors: Array<{ description: string; code: string }> }) {
  return outcome.denied ?? (outcome.errors.map((error) => `${error.description} (${error.code})`).join(" ") || outcome.formError);
}

export function SecurityPage() {
  const { viewer, twoFactorSetupRequired, refresh } = useSession();
  const navigate = useNavigate();
  const [setup, setSetup] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const user = viewer?.actor.__typename === "User" ? viewer.actor : null;
  const required = Boolean(viewer?.organization.requireTwoFactor);

  async function start() {
    setBusy(true);
    const outcome = await mutate(EnableTwoFactorDocument, {}, (result) => result.enableTwoFactor);
    setBusy(false);
    if (outcome.ok) {
      setError(null);
      setSetup({ secret: outcome.value.secret, otpauthUri: outcome.value.otpauthUri });
    } else setError(failureText(outcome));
  }

  let body;
  if (!user) {
    body = <Text>Two-factor sign-in is for dashboard users; API keys sign in with their secret.</Text>;
  } else if (codes) {
    body = (
      <RecoveryCodes
        codes={codes}
        onDone={() => {
          const wasRequired = twoFactorSetupRequired;
          setCodes(null);
          setSetup(null);
          void refresh().then(() => {
            if (wasRequired) void navigate("/developers/api-keys");
          });
        }}
      />
    );
  } else if (user.twoFactorEnabled) {
    body = (
      <Stack>
        <Text size="sm">
          Signing in takes your password and a code from your authenticator app (or one of your recovery codes).
          {required ? " Your organization requires it, so it cannot be turned off." : ""}
        </Text>
        {required ? null : (
          <CodeForm
            label="Code to turn it off"
            description="A current authenticator code or an unused recovery code."
            submitLabel="Turn off two-factor sign-in"
            colour="red"
            onSubmit={async (code) => {
              const outcome = await mutate(DisableTwoFactorDocument, { input: { code } }, (result) => result.disableTwoFactor);
              if (!outcome.ok) return failureText(outcome);
              notifySuccess("Two-factor sign-in is off.");
              await refresh();
              return null;
            }}
          />
        )}
      </Stack>
    );
  } else if (setup) {
    body = (
      <Stack>
        <List type="ordered" size="sm" spacing={4}>
          <List.Item>Scan the QR code with an authenticator app (or type the secret below into it).</List.Item>
          <List.Item>Enter the six-digit code the app shows.</List.Item>
        </List>
        <Group align="flex-start" gap="xl">
          <QrCode value={setup.otpauthUri} />
          <Stack gap={4}>
            <Text size="sm" fw={600} id="two-factor-secret-label">
              Secret, to type in instead
            </Text>
            <Code block aria-labelledby="two-factor-secret-label" data-testid="two-factor-secret" data-secret={setup.secret} fz="md">
              {grouped(setup.secret)}
            </Code>
            <Text size="xs" c="dimmed" maw={320}>
              Time-based (TOTP), six digits, every 30 seconds.
            </Text>
          </Stack>
        </Group>
        <CodeForm
          label="Code from your authenticator app"
          description="Six digits."
          submitLabel="Confirm and turn on"
          onSubmit={async (code) => {
            const outcome = await mutate(ConfirmTwoFactorDocument, { input: { code } }, (result) => result.confirmTwoFactor);
            if (!outcome.ok) return failureText(outcome);
            setCodes(outcome.value.recoveryCodes);
            return null;
          }}
        />
      </Stack>
    );
  } else {
    body = (
      <Stack align="flex-start">
        <Text size="sm">
          Protect this account with a second step at sign-in: a code from an authenticator app on your phone, besides your password.
        </Text>
        <Button onClick={() => void start()} loading={busy}>
          Set up two-factor sign-in
        </Button>
      </Stack>
    );
  }

  return (
    <>
      <PageHeader title="Security" description={user ? `Sign-in settings of ${user.email}.` : undefined} />
      {twoFactorSetupRequired ? (
        <Alert color="yellow" title="Two-factor sign-in required" role="alert" mb="md" data-testid="two-factor-required">
          Your organization requires two-factor sign-in. Set it up to use the dashboard.
        </Alert>
      ) : null}
      {error ? (
        <Alert color="red" role="alert" mb="md">
          {error}
        </Alert>
      ) : null}
      <Paper withBorder p="md" maw={760}>
        <Group justify="space-between" mb="sm">
          <Title order={2} size="h4">
            Two-factor sign-in
          </Title>
          {user ? (
            <Badge color={user.twoFactorEnabled || codes ? "green.8" : "gray.8"} variant="filled" data-testid="two-factor-status">
              {user.twoFactorEnabled || codes ? "On" : "Off"}
            </Badge>
          ) : null}
        </Group>
        {body}
      </Paper>
    </>
  );
}
