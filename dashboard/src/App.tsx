import { Alert, Center, Loader, Text } from "@mantine/core";
import { ReactNode } from "react";
import { Navigate, Route, Routes, useLocation } from "react-router";
import { Shell } from "./components/Shell";
import { ApiKeyDetailPage } from "./pages/ApiKeyDetailPage";
import { ApiKeysPage } from "./pages/ApiKeysPage";
import { AcceptInvitationPage, SignInPage, SignUpPage } from "./pages/AuthPages";
import { AuditLogPage } from "./pages/AuditLogPage";
import { CollaborativeAuthorizationPage } from "./pages/CollaborativeAuthorizationPage";
import { SecurityPage, SECURITY_PATH } from "./pages/SecurityPage";
import { EventDetailPage, EventsPage } from "./pages/EventsPages";
import { TeamPage } from "./pages/TeamPage";
import { WebhookDetailPage, WebhooksPage } from "./pages/WebhooksPages";
import { useSession } from "./session";

/** Pages behind the sign-in: the shell around them, the sign-in page when there is no session. */
function SignedIn({ children }: { children: ReactNode }) {
  const { status, problem, environment, twoFactorSetupRequired } = useSession();
  const location = useLocation();
  if (status === "loading") {
    return (
      <Center h="100vh">
        <Loader aria-label="Loading" />
      </Center>
    );
  }
  if (status === "signedOut") return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />;
  if (status === "noRole" || status === "unavailable") {
    return (
      <Shell>
        <Alert color="red" title={status === "noRole" ? `No access to ${environment}` : "Keyway is unavailable"} role="alert">
          <Text size="sm">{problem}</Text>
          {status === "noRole" ? (
            <Text size="sm">Switch the environment in the header, or ask an admin to invite you to {environment}.</Text>
          ) : null}
        </Alert>
      </Shell>
    );
  }
  // Until the user has set up two-factor sign-in, as the organization requires, Keyway answers nothing else.
  if (twoFactorSetupRequired && location.pathname !== SECURITY_PATH) return <Navigate to={SECURITY_PATH} replace />;
  return <Shell>{children}</Shell>;
}

function NotFound() {
  return (
    <Alert color="gray" title="Page not found" role="alert">
      There is nothing at this address. Choose a page in the menu.
    </Alert>
  );
}

export function App() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route path="/sign-up" element={<SignUpPage />} />
      <Route path="/invitations/accept" element={<AcceptInvitationPage />} />
      <Route path="/" element={<Navigate to="/developers/api-keys" replace />} />
      <Route path="/developers" element={<Navigate to="/developers/api-keys" replace />} />
      <Route
        path="/developers/api-keys"
        element={
          <SignedIn>
            <ApiKeysPage />
          </SignedIn>
        }
      />
      <Route
        path="/developers/api-keys/:id"
        element={
          <SignedIn>
            <ApiKeyDetailPage />
          </SignedIn>
        }
      />
      <Route
        path="/developers/webhooks"
        element={
          <SignedIn>
            <WebhooksPage />
          </SignedIn>
        }
      />
      <Route
        path="/developers/webhooks/:id"
        element={
          <SignedIn>
            <WebhookDetailPage />
          </SignedIn>
        }
      />
      <Route
        path="/developers/events"
        element={
          <SignedIn>
            <EventsPage />
          </SignedIn>
        }
      />
      <Route
        path="/developers/events/:id"
        element={
          <SignedIn>
            <EventDetailPage />
          </SignedIn>
        }
      />
      <Route
        path="/developers/collaborative-authorization"
        element={
          <SignedIn>
            <CollaborativeAuthorizationPage />
          </SignedIn>
        }
      />
      <Route
        path="/settings/team"
        element={
          <SignedIn>
            <TeamPage />
          </SignedIn>
        }
      />
      <Route
        path={SECURITY_PATH}
        element={
          <SignedIn>
            <SecurityPage />
          </SignedIn>
        }
      />
      <Route
        path="/settings/audit-log"
        element={
          <SignedIn>
            <AuditLogPage />
          </SignedIn>
        }
      />
      <Route
        path="*"
        element={
          <SignedIn>
            <NotFound />
          </SignedIn>
        }
      />
    </Routes>
  );
}
