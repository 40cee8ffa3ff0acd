import { createContext, ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, configureClient, Environment, request } from "./api/client";
import { LogoutDocument, ViewerDocument, type ViewerQuery } from "./gql/graphql";

export type Viewer = ViewerQuery["viewer"];

/** Why the user is on the sign-in page. */
export type SignedOutReason = "timeout" | "ended" | "signedOut" | null;

type Status = "loading" | "signedIn" | "signedOut" | "noRole" | "unavailable";

interface SessionState {
  status: Status;
  viewer: Viewer | null;
  environment: Environment;
  reason: SignedOutReason;
  problem: string | null;
  can(permission: string): boolean;
  /**
   * The organization requires two-factor sign-in and this user has not set it up: Keyway answers
   * only the set-up until then.
   */
  twoFactorSetupRequired: boolean;
  /** Reads the viewer again (after two-factor sign-in was turned on or off). */
  refresh(): Promise<void>;
  setEnvironment(environment: Environment): void;
  /** After login/signUp/acceptInvitation answered with a Session (its token is in the cookie). */
  signedIn(idleTimeoutSeconds: number): Promise<void>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

const ENVIRONMENT_KEY = "keyway.environment";
const IDLE_KEY = "keyway.idleTimeoutSeconds";

function storedEnvironment(): Environment {
  return sessionStorage.getItem(ENVIRONMENT_KEY) === "LIVE" ? "LIVE" : "TEST";
}

function storedIdleSeconds(): number | null {
  const value = Number(sessionStorage.getItem(IDLE_KEY));
  return Number.isFinite(value) && value > 0 ? value : null;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [environment, setEnvironmentState] = useState<Environment>(storedEnvironment);
  const [status, setStatus] = useState<Status>("loading");
  const [viewer, setViewer] = useState<Viewer | null>(null);
  const [reason, setReason] = useState<SignedOutReason>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const environmentRef = useRef(environment);
  environmentRef.current = environment;
  const idleTimer = useRef<number | undefined>(undefined);
  const statusRef = useRef(status);
  statusRef.current = status;

  const endSession = useCallback((why: SignedOutReason) => {
    window.clearTimeout(idleTimer.current);
    sessionStorage.removeItem(IDLE_KEY);
    setViewer(null);
    setReason(why);
    setStatus("signedOut");
  }, []);

  const loadViewer = useCallback(async () => {
    try {
      const data = await request(ViewerDocument, {});
      setViewer(data.viewer);
      setProblem(null);
      setStatus("signedIn");
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return; // onUnauthenticated has handled it
      if (error instanceof ApiError && error.code === "FORBIDDEN") {
        setViewer(null);
        setProblem(error.message);
        setStatus("noRole");
        return;
      }
      setProblem(error instanceof Error ? error.message : String(error));
      setStatus("unavailable");
    }
  }, []);

  /**
   * The idle timeout: when no request has been made for idleTimeoutSeconds,
   * ask Keyway once; a session that has timed out answers 401 SESSION_EXPIRED
   * (and clears its cookie), which brings the sign-in page.
   */
  const armIdleTimer = useCallback(() => {
    window.clearTimeout(idleTimer.current);
    const seconds = storedIdleSeconds();
    if (seconds === null || statusRef.current !== "signedIn") return;
    idleTimer.current = window.setTimeout(
      () => {
        request(ViewerDocument, {}).catch(() => {});
      },
      seconds * 1000 + 500,
    );
  }, []);

  useEffect(() => {
    configureClient({
      environment: () => environmentRef.current,
      onActivity: () => armIdleTimer(),
      onUnauthenticated: (error) => {
        const timedOut = error.reason === "SESSION_EXPIRED";
        const hadSession = statusRef.current === "signedIn" || statusRef.current === "noRole";
        endSession(timedOut ? "timeout" : hadSession || error.reason === "SESSION_REVOKED" ? "ended" : null);
      },
      // The server says the set-up comes first: read the viewer again, which shows it.
      onTwoFactorSetupRequired: () => void loadViewer(),
    });
  }, [armIdleTimer, endSession, loadViewer]);

  useEffect(() => {
    void loadViewer();
  }, [environment, loadViewer]);

  useEffect(() => {
    if (status === "signedIn") armIdleTimer();
    return () => window.clearTimeout(idleTimer.current);
  }, [status, armIdleTimer]);

  const value = useMemo<SessionState>(() => {
    const permissions = new Set(viewer?.permissions ?? []);
    const user = viewer?.actor.__typename === "User" ? viewer.actor : null;
    return {
      status,
      viewer,
      environment,
      reason,
      problem,
      can: (permission) => permissions.has(permission),
      twoFactorSetupRequired: Boolean(viewer?.organization.requireTwoFactor && user && !user.twoFactorEnabled),
      refresh: loadViewer,
      setEnvironment: (next) => {
        sessionStorage.setItem(ENVIRONMENT_KEY, next);
        environmentRef.current = next;
        setEnvironmentState(next);
      },
      signedIn: async (idleTimeoutSeconds) => {
        sessionStorage.setItem(IDLE_KEY, String(idleTimeoutSeconds));
        setReason(null);
        statusRef.current = "loading";
        await loadViewer();
      },
      signOut: async () => {
        try {
          await request(LogoutDocument, {});
        } finally {
          endSession("signedOut");
        }
      },
    };
  }, [status, viewer, environment, reason, problem, loadViewer, endSession]);

  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}
