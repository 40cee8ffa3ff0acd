import { AppShell, Badge, Burger, Button, Group, NavLink, SegmentedControl, Stack, Text, VisuallyHidden } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { ReactNode } from "react";
import { Link, useLocation } from "react-router";
import type { Environment } from "../api/client";
import { useSession } from "../session";
import { settings } from "../settings";

interface NavItem {
  to: string;
  label: string;
  /** null: for every signed-in user. */
  permission: string | null;
}

const DEVELOPERS: NavItem[] = [
  { to: "/developers/api-keys", label: "API keys", permission: "keys:read" },
  { to: "/developers/webhooks", label: "Webhooks", permission: "targets:read" },
  { to: "/developers/events", label: "Events", permission: "events:read" },
  { to: "/developers/collaborative-authorization", label: "Collaborative authorization", permission: "collab:read" },
];
const SETTINGS: NavItem[] = [
  { to: "/settings/team", label: "Team", permission: "users:read" },
  { to: "/settings/audit-log", label: "Audit log", permission: "audit:read" },
  { to: "/settings/security", label: "Security", permission: null },
];

/** The environment switch: always in the header; LIVE turns the header red and says so. */
function EnvironmentSwitch() {
  const { environment, setEnvironment } = useSession();
  return (
    <Group gap="xs" wrap="nowrap">
      <Text size="sm" fw={600} id="environment-label" c={environment === "LIVE" ? "white" : undefined}>
        Environment
      </Text>
      <SegmentedControl
        aria-labelledby="environment-label"
        value={environment}
        onChange={(value) => setEnvironment(value as Environment)}
        data={[
          { value: "TEST", label: "Test" },
          { value: "LIVE", label: "Live" },
        ]}
        color={environment === "LIVE" ? "red" : "accent"}
        size="sm"
      />
      {environment === "LIVE" ? (
        <Badge color="white" c="red.9" variant="filled" size="lg" data-testid="live-badge">
          LIVE data
        </Badge>
      ) : (
        <Badge color="gray.8" variant="filled" size="lg" data-testid="test-badge">
          Test data
        </Badge>
      )}
    </Group>
  );
}

export function Shell({ children }: { children: ReactNode }) {
  const { viewer, environment, can, signOut, twoFactorSetupRequired } = useSession();
  const location = useLocation();
  const [opened, { toggle, close }] = useDisclosure();
  const live = environment === "LIVE";
  const user = viewer?.actor.__typename === "User" ? viewer.actor : null;
  const links = (items: NavItem[]) =>
    items
      .filter((item) => (item.permission === null ? user !== null : !twoFactorSetupRequired && can(item.permission)))
      .map((item) => (
        <NavLink
          key={item.to}
          component={Link}
          to={item.to}
          label={item.label}
          active={location.pathname.startsWith(item.to)}
          aria-current={location.pathname.startsWith(item.to) ? "page" : undefined}
          onClick={close}
        />
      ));

  return (
    <AppShell header={{ height: 64 }} navbar={{ width: 220, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="lg">
      <AppShell.Header
        data-environment={environment}
        style={live ? { background: "var(--mantine-color-red-9)", borderBottom: "4px solid var(--mantine-color-red-5)" } : undefined}
      >
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger
              opened={opened}
              onClick={toggle}
              hiddenFrom="sm"
              size="sm"
              aria-label="Toggle navigation"
              color={live ? "white" : undefined}
            />
            <Text fw={700} size="lg" c={live ? "white" : undefined} component={Link} to="/developers/api-keys" td="none">
              {settings.title}
            </Text>
            {viewer ? (
              <Text size="sm" c={live ? "white" : "dimmed"} visibleFrom="md">
                {viewer.organization.name} · {viewer.organization.plan === "FREE" ? "Free plan" : "Paid plan"}
              </Text>
            ) : null}
          </Group>
          <Group gap="md" wrap="nowrap">
            <EnvironmentSwitch />
            {user ? (
              <Text size="sm" c={live ? "white" : undefined} visibleFrom="md">
                <VisuallyHidden>Signed in as </VisuallyHidden>
                {user.email} ({viewer?.role})
              </Text>
            ) : null}
            <Button variant={live ? "white" : "default"} color={live ? "red" : undefined} size="sm" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main">
        <Stack gap={4}>
          {links(DEVELOPERS).length ? (
            <Text size="xs" fw={700} tt="uppercase" c="dimmed" px="sm" pt="xs">
              Developers
            </Text>
          ) : null}
          {links(DEVELOPERS)}
          <Text size="xs" fw={700} tt="uppercase" c="dimmed" px="sm" pt="md">
            Settings
          </Text>
          {links(SETTINGS)}
        </Stack>
      </AppShell.Navbar>
      <AppShell.Main>{children}</AppShell.Main>
    </AppShell>
  );
}
