import { Alert, Button, Code, CopyButton, Group, Stack, Text } from "@mantine/core";

/** A key shown once (create, rotate): copy it, then say so [000]. */
export function KeyReveal({ secret, onDone }: { secret: string; onDone(): void }) {
  return (
    <Stack>
      <Alert color="yellow" title="Copy your key now" role="status">
        Store it in a safe location. For security reasons, it cannot be displayed again.
      </Alert>
      <Code block data-testid="revealed-key" style={{ wordBreak: "break-all", fontSize: 14 }}>
        {secret}
      </Code>
      <Group justify="space-between">
        <CopyButton value={secret}>
          {({ copied, copy }) => (
            <Button variant="default" onClick={copy} aria-live="polite">
              {copied ? "Copied" : "Copy key"}
            </Button>
          )}
        </CopyButton>
        <Button onClick={onDone}>I've copied my key</Button>
      </Group>
      <Text size="xs" c="dimmed">
        Share it only with its technical owner, through your approved secure channel.
      </Text>
    </Stack>
  );
}
