import { Checkbox, Fieldset, Group, SimpleGrid, Text } from "@mantine/core";

/** Keyway's permissions by resource, in the order the API lists them. */
export const PERMISSION_GROUPS: ReadonlyArray<{
  resource: string;
  label: string;
  actions: ReadonlyArray<{ action: string; hint: string }>;
}> = [
  {
    resource: "keys",
    label: "API keys",
    actions: [
      { action: "read", hint: "list keys and their usage" },
      { action: "write", hint: "create, change, rotate, revoke keys" },
    ],
  },
  {
    resource: "users",
    label: "Team",
    actions: [
      { action: "read", hint: "list members and invitations" },
      { action: "write", hint: "invite, change roles, remove" },
    ],
  },
  {
    resource: "targets",
    label: "Webhook targets",
    actions: [
      { action: "read", hint: "targets and their deliveries" },
      { action: "write", hint: "add, change, remove targets" },
    ],
  },
  {
    resource: "events",
    label: "Events",
    actions: [
      { action: "read", hint: "events and attempts" },
      { action: "replay", hint: "replay and recover deliveries" },
    ],
  },
  {
    resource: "collab",
    label: "Collaborative authorization",
    actions: [
      { action: "read", hint: "endpoints and requests" },
      { action: "write", hint: "add, activate, remove endpoints" },
      { action: "simulate", hint: "simulate an authorization (TEST)" },
    ],
  },
  {
    resource: "secret",
    label: "API shared secret",
    actions: [
      { action: "read", hint: "reveal the secret" },
      { action: "write", hint: "rotate it" },
    ],
  },
  { resource: "audit", label: "Audit log", actions: [{ action: "read", hint: "read the audit log" }] },
];

/**
 * The permissions of a RESTRICTED key, grouped by resource. Only what the viewer holds is offered:
 * nobody makes a key with more than they hold.
 */
export function PermissionPicker({
  value,
  onChange,
  can,
  error,
}: {
  value: readonly string[];
  onChange(next: string[]): void;
  can(permission: string): boolean;
  error?: string;
}) {
  const chosen = new Set(value);
  const groups = PERMISSION_GROUPS.map((group) => ({
    ...group,
    actions: group.actions.filter(({ action }) => can(`${group.resource}:${action}`)),
  })).filter((group) => group.actions.length > 0);
  const toggle = (permission: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(permission);
    else next.delete(permission);
    // Kept in the API's order, so the key lists them the same way.
    onChange(
      PERMISSION_GROUPS.flatMap((group) => group.actions.map(({ action }) => `${group.resource}:${action}`)).filter((p) => next.has(p)),
    );
  };
  return (
    <Fieldset legend="Permissions" data-testid="permission-picker" aria-describedby="permission-picker-help">
      <Text size="xs" c="dimmed" id="permission-picker-help" mb="xs">
        The key can do exactly what is ticked here. You can give it only permissions you hold yourself.
      </Text>
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" verticalSpacing="xs">
        {groups.map((group) => (
          <Fieldset key={group.resource} legend={group.label} variant="filled" p="xs" role="group" aria-label={group.label}>
            <Group gap="md">
              {group.actions.map(({ action, hint }) => {
                const permission = `${group.resource}:${action}`;
                return (
                  <Checkbox
                    key={permission}
                    label={permission}
                    description={hint}
                    checked={chosen.has(permission)}
                    onChange={(event) => toggle(permission, event.currentTarget.checked)}
                  />
                );
              })}
            </Group>
          </Fieldset>
        ))}
      </SimpleGrid>
      {error ? (
        <Text size="sm" c="red.8" role="alert" mt="xs">
          {error}
        </Text>
      ) : null}
    </Fieldset>
  );
}
