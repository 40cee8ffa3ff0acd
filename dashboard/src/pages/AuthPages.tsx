import { Alert, Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { FormEvent, ReactNode, useState } from "react";
import { Link, Navigate, useLocation, useNavigate, useSearchParams } from "react-router";
import { mutate } from "../api/payload";
import { AcceptInvitationDocument, LoginDocument, SignUpDocument } from "../gql/graphql";
import { useSession } from "../session";
import { settings } from "../settings";

type SessionMember = { idleTimeoutSeconds: number };

function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" radius="md" w={420} maw="100%">
        <Stack>
          <Text fw={700} size="lg">
            {settings.title}
          </Text>
          <Title order={1} size="h2">
            {title}
          </Title>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

function useAfterSignIn() {
  const session = useSession();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return async (member: SessionMember) => {
    await session.signedIn(member.idleTimeoutSeconds);
    void navigate(from && !from.startsWith("/sign-in") ? from : "/developers/api-keys", { replace: true });
  };
}

const REASONS: Record<string, string> = {
  timeout: "Your session timed out after a period of inactivity. Sign in again.",
  ended: "Your session has ended. Sign in again.",
  signedOut: "You have signed out.",
};

export function SignInPage() {
  const { status, reason } = useSession();
  const afterSignIn = useAfterSignIn();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  // Two-factor sign-in: Keyway answered TWO_FACTOR_REQUIRED, so the same sign-in is sent again with a code.
  const [needsCode, setNeedsCode] = useState(false);
  const [code, setCode] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (status === "signedIn") return <Navigate to="/developers/api-keys" replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const input = { email, password, useCookie: true, ...(needsCode ? { code: code.trim() } : {}) };
    const outcome = await mutate(LoginDocument, { input }, (result) => result.login, ["email", "password", "code"]);
    setBusy(false);
    if (outcome.ok) return afterSignIn(outcome.value);
    if (!needsCode && outcome.errors.some((error) => error.code === "TWO_FACTOR_REQUIRED")) {
      setErrors({});
      setFormError(null);
      setNeedsCode(true);
      return;
    }
    if (needsCode) setCode("");
    setErrors(outcome.fieldErrors);
    setFormError(outcome.formError ?? outcome.denied);
  }

  return (
    <AuthCard title="Sign in">
      {reason && REASONS[reason] ? (
        <Alert color={reason === "timeout" ? "yellow" : "gray"} role="status" data-testid="signed-out-reason">
          {REASONS[reason]}
        </Alert>
      ) : null}
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            error={errors.email}
            readOnly={needsCode}
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            error={errors.password}
            readOnly={needsCode}
          />
          {needsCode ? (
            <>
              <Alert color="blue" role="status" data-testid="two-factor-step">
                Two-factor sign-in is on for this account. Enter the code from your authenticator app, or one of your recovery codes.
              </Alert>
              <TextInput
                label="Authentication code"
                description="Six digits from your authenticator app, or a recovery code."
                autoComplete="one-time-code"
                required
                data-autofocus
                autoFocus
                value={code}
                onChange={(e) => setCode(e.currentTarget.value)}
                error={errors.code}
              />
            </>
          ) : null}
          {formError ? (
            <Alert color="red" role="alert">
              {formError}
            </Alert>
          ) : null}
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
          {needsCode ? (
            <Button
              variant="subtle"
              onClick={() => {
                setNeedsCode(false);
                setCode("");
                setErrors({});
                setFormError(null);
              }}
            >
              Use another account
            </Button>
          ) : null}
        </Stack>
      </form>
      {settings.signupEnabled ? (
        <Text size="sm">
          New here?{" "}
          <Anchor component={Link} to="/sign-up">
            Create an organization
          </Anchor>
        </Text>
      ) : null}
    </AuthCard>
  );
}

export function SignUpPage() {
  const afterSignIn = useAfterSignIn();
  const [values, setValues] = useState({ organizationName: "", name: "", email: "", password: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!settings.signupEnabled) {
    return (
      <AuthCard title="Sign-up is closed">
        <Text>This server does not accept new organizations. Ask an admin for an invitation.</Text>
        <Anchor component={Link} to="/sign-in">
          Sign in
        </Anchor>
      </AuthCard>
    );
  }
  const field = (name: keyof typeof values) => ({
    value: values[name],
    onChange: (event: React.ChangeEvent<HTMLInputElement>) => setValues({ ...values, [name]: event.currentTarget.value }),
    error: errors[name],
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const outcome = await mutate(
      SignUpDocument,
      { input: { ...values, name: values.name || null, useCookie: true } },
      (result) => result.signUp,
      ["organizationName", "name", "email", "password"],
    );
    setBusy(false);
    if (outcome.ok) return afterSignIn(outcome.value);
    setErrors(outcome.fieldErrors);
    setFormError(outcome.formError ?? outcome.denied);
  }

  return (
    <AuthCard title="Create an organization">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput label="Organization name" required {...field("organizationName")} />
          <TextInput label="Your name" autoComplete="name" {...field("name")} />
          <TextInput label="Email" type="email" autoComplete="email" required {...field("email")} />
          <PasswordInput label="Password" description="10 to 72 bytes" autoComplete="new-password" required {...field("password")} />
          {formError ? (
            <Alert color="red" role="alert">
              {formError}
            </Alert>
          ) : null}
          <Button type="submit" loading={busy}>
            Create organization
          </Button>
        </Stack>
      </form>
      <Text size="sm">
        Already have an account?{" "}
        <Anchor component={Link} to="/sign-in">
          Sign in
        </Anchor>
      </Text>
    </AuthCard>
  );
}

export function AcceptInvitationPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const afterSignIn = useAfterSignIn();
  const [values, setValues] = useState({ name: "", password: "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    const outcome = await mutate(
      AcceptInvitationDocument,
      { input: { token, password: values.password || null, name: values.name || null, useCookie: true } },
      (result) => result.acceptInvitation,
      ["name", "password"],
    );
    setBusy(false);
    if (outcome.ok) return afterSignIn(outcome.value);
    setErrors(outcome.fieldErrors);
    setFormError(outcome.formError ?? outcome.denied);
  }

  return (
    <AuthCard title="Accept your invitation">
      {!token ? (
        <Alert color="red" role="alert">
          This link has no invitation token. Open the link from your invitation again.
        </Alert>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <Text size="sm">
              New to {settings.title}? Choose your name and a password. Already have an account? Enter your current password.
            </Text>
            <TextInput
              label="Your name"
              autoComplete="name"
              value={values.name}
              onChange={(e) => setValues({ ...values, name: e.currentTarget.value })}
              error={errors.name}
            />
            <PasswordInput
              label="Password"
              description="10 to 72 bytes"
              autoComplete="new-password"
              value={values.password}
              onChange={(e) => setValues({ ...values, password: e.currentTarget.value })}
              error={errors.password}
            />
            {formError ? (
              <Alert color="red" role="alert">
                {formError}
              </Alert>
            ) : null}
            <Button type="submit" loading={busy}>
              Join
            </Button>
          </Stack>
        </form>
      )}
    </AuthCard>
  );
}
