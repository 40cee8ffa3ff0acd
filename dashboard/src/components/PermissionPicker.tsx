import { Checkbox, Fieldset, Group, SimpleGrid, Text } from "@mantine/core";

type Group = { resource: string; label: string; actions: ReadonlyArray<{ action: string; hint: string }> };

const group = (resource: string, label: string, actions: Record<string, string>): Group => ({
  resource,
  label,
  actions: Object.entries(actions).map(([action, hint]) => ({ action, hint })),
});

/** Keyway's permissions by resource, in the order the API lists them. */
export const PERMISSION_GROUPS: readonly Group[] = [
  group("keys", "API keys", { read: "list keys and their usage", write: "create, change, rotate, revoke keys" }),
  group("users", "Team", { read: "list members and invitations", write: "invite, change roles, remove" }),
  group("targets", "Webhook targets", { read: "targets and their deliveries", write: "add, change, remove targets" }),
  group("events", "Events", { read: "events and attempts", replay: "replay and recover deliveries" }),
  group("collab", "Collaborative authorization", {
    read: "endpoints and requests",
    write: "add, activate, remove endpoints",
    simulate: "simulate an authorization (TEST)",
  }),
  group("secret", "API shared secret", { read: "reveal the secret", write: "rotate it" }),
  group("audit", "Audit log", { read: "read the audit log" }),
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
