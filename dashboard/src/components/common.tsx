import { Alert, Badge, Box, Button, Group, Modal, Stack, Text, Title } from "@mantine/core";
import { ReactNode, useState } from "react";

const STATUS_COLOURS: Record<string, string> = {
  ACTIVE: "green",
  SUCCESS: "green",
  APPROVED: "green",
  DEACTIVATED: "red",
  REVOKED: "gray",
  EXPIRED: "gray",
  FAILURE: "red",
  DECLINED: "red",
  ACTIVATION_FAILED: "red",
  PENDING_VERIFICATION: "yellow",
};

/** A coloured dot before the status word (blocked keys: red [003]). */
export function StatusDot({ status }: { status: string }) {
  const colour = STATUS_COLOURS[status] ?? "gray";
  return (
    <Group gap={6} wrap="nowrap" data-status={status}>
      <Box
        component="span"
        aria-hidden
        data-testid="status-dot"
        data-colour={colour}
        w={10}
        h={10}
        style={{ borderRadius: "50%", background: `var(--mantine-color-${colour}-8)`, flex: "none" }}
      />
      <Text size="sm" component="span">
        {status.replace(/_/g, " ").toLowerCase()}
      </Text>
    </Group>
  );
}

export function RoleBadge({ role }: { role: string }) {
  return (
    <Badge
      variant="outline"
      color={role === "ADMIN" ? "accent" : "gray.8"}
      radius="sm"
      style={{ overflow: "visible" }}
      styles={{ label: { overflow: "visible" } }}
    >
      {role}
    </Badge>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" align="flex-start" mb="md" wrap="wrap">
      <Stack gap={4}>
        <Title order={1} size="h2">
          {title}
        </Title>
        {description ? (
          <Text c="dimmed" size="sm">
            {description}
          </Text>
        ) : null}
      </Stack>
      {actions ? <Group gap="sm">{actions}</Group> : null}
    </Group>
  );
}

/** A refused read or a failed request, shown where the content would be. */
export function ErrorAlert({
  error,
  title = "Could not load",
}: {
  error: { message: string } | string | null | undefined;
  title?: string;
}) {
  if (!error) return null;
  return (
    <Alert color="red" title={title} role="alert" mb="md">
      {typeof error === "string" ? error : error.message}
    </Alert>
  );
}

export function Pager({
  total,
  from,
  to,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
  noun,
}: {
  total: number;
  from: number;
  to: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious(): void;
  onNext(): void;
  noun: string;
}) {
  return (
    <Group justify="space-between" mt="md" aria-label="Pagination" role="navigation">
      <Text size="sm" data-testid="page-summary" aria-live="polite">
        {total === 0 ? `No ${noun}` : `${from}–${to} of ${total} ${noun}`}
      </Text>
      <Group gap="xs">
        <Button variant="default" onClick={onPrevious} disabled={!hasPrevious}>
          Previous
        </Button>
        <Button variant="default" onClick={onNext} disabled={!hasNext}>
          Next
        </Button>
      </Group>
    </Group>
  );
}

/** A confirmation dialog: what will happen, and one button that does it. */
export function ConfirmDialog({
  opened,
  title,
  children,
  confirmLabel,
  colour = "red",
  onConfirm,
  onClose,
}: {
  opened: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  colour?: string;
  onConfirm(): Promise<void>;
  onClose(): void;
}) {
  const [busy, setBusy] = useState(false);
  return (
    <Modal opened={opened} onClose={onClose} title={title} centered>
      <Stack>
        {children}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button
            color={colour}
            loading={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await onConfirm();
              } finally {
                setBusy(false);
              }
            }}
          >
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
