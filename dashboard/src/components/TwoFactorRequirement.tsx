import { Alert, Paper, Switch, Text } from "@mantine/core";
import { useState } from "react";
import { mutate, notifySuccess } from "../api/payload";
import { SetOrganizationTwoFactorRequirementDocument } from "../gql/graphql";
import { useSession } from "../session";

/**
 * The organization's "Require two-factor sign-in" switch (both environments). Only users:write
 * may change it; everyone else sees where it stands.
 */
export function TwoFactorRequirement({
  required,
  membersWithout,
  onChanged,
}: {
  required: boolean;
  membersWithout: number;
  onChanged(): void;
}) {
  const { can, refresh } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function change(next: boolean) {
    setBusy(true);
    const outcome = await mutate(
      SetOrganizationTwoFactorRequirementDocument,
      { input: { required: next } },
      (result) => result.setOrganizationTwoFactorRequirement,
    );
    setBusy(false);
    if (!outcome.ok) {
      setError(outcome.denied ?? (outcome.errors.map((e) => `${e.description} (${e.code})`).join(" ") || outcome.formError));
      return;
    }
    setError(null);
    notifySuccess(outcome.value.requireTwoFactor ? "Two-factor sign-in is now required." : "Two-factor sign-in is no longer required.");
    onChanged();
    // The viewer's own access may change with it (a member without two-factor sign-in).
    await refresh();
  }
  return (
    <Paper withBorder p="md" mb="lg" data-testid="two-factor-requirement">
      <Switch
        label="Require two-factor sign-in"
        description="For every member of the organization, in TEST and LIVE: members without it can only set it up until they have."
        checked={required}
        disabled={!can("users:write") || busy}
        onChange={(event) => void change(event.currentTarget.checked)}
      />
      {required && membersWithout > 0 ? (
        <Text size="sm" mt="xs" c="dimmed">
          {membersWithout === 1 ? "1 member has" : `${membersWithout} members have`} not set it up yet: they are asked to when they sign in.
        </Text>
      ) : null}
      {error ? (
        <Alert color="red" role="alert" mt="sm">
          {error}
        </Alert>
      ) : null}
    </Paper>
  );
}
