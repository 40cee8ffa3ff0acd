import { Alert, Button, Code, CopyButton, Group, Modal, NativeSelect, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { FormEvent, useState } from "react";
import { useQuery } from "../api/hooks";
import { mutate, notifyFailure, notifySuccess } from "../api/payload";
import { ConfirmDialog, ErrorAlert, PageHeader, RoleBadge } from "../components/common";
import { formatDate } from "../components/format";
import { TwoFactorRequirement } from "../components/TwoFactorRequirement";
import {
  InviteUserDocument,
  RemoveUserDocument,
  TeamDocument,
  type TeamQuery,
  UpdateUserRoleDocument,
  type UserRole,
} from "../gql/graphql";
import { useSession } from "../session";

type Member = TeamQuery["organizations"][number]["users"]["edges"][number]["node"];

const ROLES: Array<{ value: UserRole; label: string }> = [
  { value: "ADMIN", label: "ADMIN — everything" },
  { value: "DEVELOPER", label: "DEVELOPER — all but users and the shared secret" },
  { value: "SUPPORT", label: "SUPPORT — reads, and replays events" },
];

function lastAdminText(environment: string): string {
  return `Every environment keeps at least one ADMIN, so the last ADMIN of ${environment} cannot be removed or given another role. Make another member ADMIN first. (LAST_ADMIN)`;
}

function InviteDialog({ opened, onClose, onInvited }: { opened: boolean; onClose(): void; onInvited(): void }) {
  const { environment } = useSession();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<UserRole>("DEVELOPER");
  const [link, setLink] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const close = () => {
    setLink(null);
    setEmail("");
    setErrors({});
    setFormError(null);
    onClose();
  };
  async function submit(event: FormEvent) {
    event.preventDefault();
    const outcome = await mutate(InviteUserDocument, { input: { email, role } }, (r) => r.inviteUser, ["email", "role"]);
    if (!outcome.ok) {
      setErrors(outcome.fieldErrors);
      setFormError(outcome.denied ?? outcome.formError);
      return;
    }
    setLink(`${window.location.origin}/dashboard/invitations/accept?token=${encodeURIComponent(outcome.value.token ?? "")}`);
    onInvited();
  }
  return (
    <Modal opened={opened} onClose={close} title={link ? "Invitation link" : `Invite to ${environment}`} centered size="lg">
      {link ? (
        <Stack>
          <Alert color="yellow" role="status" title="Send this link now">
            It is shown only once and works for 7 days. Send it to {email} through a channel you trust.
          </Alert>
          <Code block data-testid="invitation-link" style={{ wordBreak: "break-all" }}>
            {link}
          </Code>
          <Group justify="space-between">
            <CopyButton value={link}>
              {({ copied, copy }) => (
                <Button variant="default" onClick={copy}>
                  {copied ? "Copied" : "Copy link"}
                </Button>
              )}
            </CopyButton>
            <Button onClick={close}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={submit} noValidate>
          <Stack>
            <TextInput
              label="Email"
              type="email"
              required
              data-autofocus
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              error={errors.email}
            />
            <NativeSelect
              label="Role"
              data={ROLES}
              value={role}
              onChange={(e) => setRole(e.currentTarget.value as UserRole)}
              error={errors.role}
            />
            {formError ? (
              <Alert color="red" role="alert">
                {formError}
              </Alert>
            ) : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                Cancel
              </Button>
              <Button type="submit">Invite</Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

function RoleDialog({ member, onClose, onSaved }: { member: Member | null; onClose(): void; onSaved(): void }) {
  const { environment } = useSession();
  const [role, setRole] = useState<UserRole>(member?.role ?? "DEVELOPER");
  const [error, setError] = useState<string | null>(null);
  const [lastAdmin, setLastAdmin] = useState(false);
  const [shown, setShown] = useState<string | null>(null);
  if (member && shown !== member.id) {
    setShown(member.id);
    setRole(member.role);
    setError(null);
    setLastAdmin(false);
  }
  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!member) return;
    const outcome = await mutate(UpdateUserRoleDocument, { input: { userId: member.user.id, role } }, (r) => r.updateUserRole, ["role"]);
    if (outcome.ok) {
      notifySuccess(`${member.user.email} is now ${role} in ${environment}.`);
      onSaved();
      setShown(null);
      onClose();
      return;
    }
    const isLastAdmin = outcome.errors.some((e) => e.code === "LAST_ADMIN");
    setLastAdmin(isLastAdmin);
    setError(isLastAdmin ? null : (outcome.denied ?? outcome.formError ?? Object.values(outcome.fieldErrors).join(" ")));
  }
  return (
    <Modal
      opened={member !== null}
      onClose={() => {
        setShown(null);
        onClose();
      }}
      title={`Change role of ${member?.user.email ?? ""}`}
      centered
    >
      <form onSubmit={submit}>
        <Stack>
          <NativeSelect
            label={`Role in ${environment}`}
            data={ROLES}
            value={role}
            onChange={(e) => setRole(e.currentTarget.value as UserRole)}
          />
          {lastAdmin ? (
            <Alert color="red" title="This is the last admin" role="alert" data-testid="last-admin">
              {lastAdminText(environment)}
            </Alert>
          ) : null}
          <ErrorAlert error={error} title="Not changed" />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit">Save role</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function TeamPage() {
  const { can, environment, viewer } = useSession();
  const { data, error, loading, refetch } = useQuery(TeamDocument, {});
  const [inviting, setInviting] = useState(false);
  const [changing, setChanging] = useState<Member | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [removeError, setRemoveError] = useState<string | null>(null);
  const organization = data?.organizations[0];
  const members = organization?.users.edges.map((edge) => edge.node) ?? [];
  const invitations = organization?.invitations.edges.map((edge) => edge.node).filter((invitation) => !invitation.acceptedAt) ?? [];
  const writable = can("users:write");
  const me = viewer?.actor.__typename === "User" ? viewer.actor.id : null;

  return (
    <>
      <PageHeader
        title="Team"
        description={`Members of ${environment} and their role here. Roles are per environment.`}
        actions={writable ? <Button onClick={() => setInviting(true)}>Invite member</Button> : null}
      />
      <ErrorAlert error={error} />
      {organization ? (
        <TwoFactorRequirement
          required={organization.requireTwoFactor}
          membersWithout={members.filter((member) => !member.user.twoFactorEnabled).length}
          onChanged={() => void refetch()}
        />
      ) : null}
      <Table striped aria-label="Members" aria-busy={loading} mb="lg">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Member</Table.Th>
            <Table.Th scope="col">Role</Table.Th>
            <Table.Th scope="col">Member since</Table.Th>
            <Table.Th scope="col">Last sign-in</Table.Th>
            <Table.Th scope="col">Two-factor</Table.Th>
            {writable ? <Table.Th scope="col">Actions</Table.Th> : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {members.map((member) => (
            <Table.Tr key={member.id}>
              <Table.Td>
                <Text fw={600} size="sm">
                  {member.user.name ?? member.user.email}
                  {member.user.id === me ? " (you)" : ""}
                </Text>
                <Text size="xs" c="dimmed">
                  {member.user.email}
                </Text>
              </Table.Td>
              <Table.Td>
                <RoleBadge role={member.role} />
              </Table.Td>
              <Table.Td>{formatDate(member.createdAt)}</Table.Td>
              <Table.Td>{formatDate(member.user.lastLoginAt)}</Table.Td>
              <Table.Td data-column="two-factor">{member.user.twoFactorEnabled ? "On" : "Off"}</Table.Td>
              {writable ? (
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button
                      size="xs"
                      variant="default"
                      onClick={() => setChanging(member)}
                      aria-label={`Change role of ${member.user.email}`}
                    >
                      Change role
                    </Button>
                    <Button
                      size="xs"
                      color="red"
                      onClick={() => {
                        setRemoveError(null);
                        setRemoving(member);
                      }}
                      aria-label={`Remove ${member.user.email}`}
                    >
                      Remove
                    </Button>
                  </Group>
                </Table.Td>
              ) : null}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>

      {can("users:read") ? (
        <>
          <Title order={2} size="h3" mb="xs">
            Pending invitations
          </Title>
          <Table aria-label="Pending invitations" fz="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Email</Table.Th>
                <Table.Th scope="col">Role</Table.Th>
                <Table.Th scope="col">Sent</Table.Th>
                <Table.Th scope="col">Expires</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {invitations.map((invitation) => (
                <Table.Tr key={invitation.id}>
                  <Table.Td>{invitation.email}</Table.Td>
                  <Table.Td>
                    <RoleBadge role={invitation.role} />
                  </Table.Td>
                  <Table.Td>{formatDate(invitation.createdAt)}</Table.Td>
                  <Table.Td>{formatDate(invitation.expiresAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          {invitations.length === 0 ? (
            <Text size="sm" c="dimmed">
              No pending invitations.
            </Text>
          ) : null}
        </>
      ) : null}

      <InviteDialog opened={inviting} onClose={() => setInviting(false)} onInvited={() => void refetch()} />
      <RoleDialog member={changing} onClose={() => setChanging(null)} onSaved={() => void refetch()} />
      <ConfirmDialog
        opened={removing !== null}
        title={`Remove ${removing?.user.email ?? ""} from ${environment}?`}
        confirmLabel="Remove member"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          if (!removing) return;
          const outcome = await mutate(RemoveUserDocument, { input: { userId: removing.user.id } }, (r) => r.removeUser);
          if (!outcome.ok) {
            if (outcome.errors.some((e) => e.code === "LAST_ADMIN")) return setRemoveError(lastAdminText(environment));
            setRemoving(null);
            return notifyFailure(outcome);
          }
          setRemoving(null);
          notifySuccess(`${removing.user.email} removed from ${environment}.`);
          await refetch();
        }}
      >
        <Text size="sm">Their sessions in {environment} end at once. Their account stays if they belong to the other environment.</Text>
        {removeError ? (
          <Alert color="red" title="This is the last admin" role="alert" data-testid="last-admin">
            {removeError}
          </Alert>
        ) : null}
      </ConfirmDialog>
    </>
  );
}
