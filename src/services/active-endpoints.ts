import type { CollaborativeAuthorizationStandInDecision as StandInDecision } from "../entities/collaborative-authorization-endpoint.js";
import type { Environment } from "../entities/enums.js";
import { tenantKey } from "./tenant-scope.js";

/** Activations and deactivations commit a NOTIFY on this channel; the payload is the tenant (`organization:environment`). */
export const COLLAB_ENDPOINT_CHANGED_CHANNEL = "keyway_collab_endpoint_changed";

/** Backstop only: every change evicts the tenant's entry at once (this process at commit, the others on NOTIFY). */
export const ACTIVE_ENDPOINT_CACHE_MS = 60_000;

/** The ACTIVE endpoint as a decision needs it; its signing keys decrypted, newest first, with their expiry. */
export interface ActiveEndpoint {
  id: string;
  uri: string;
  stand_in_decision: StandInDecision;
  keys: Array<{ secret: string; expiresAt: number | null }>;
}

type Tenant = { organizationId: string; environment: Environment };

/**
 * Each environment's ACTIVE collaborative-authorization endpoint (or that there is none), per process. A decision
 * then reads nothing before it calls the endpoint: one database round trip fewer on the path a card authorization
 * waits on. The endpoint's URI, stand-in decision and keys never change while it is ACTIVE (they are set when it is
 * added; only its status moves), so status changes are the only evictions; a key's expiry is checked at each use.
 */
export class ActiveEndpointCache {
  private readonly entries = new Map<string, { at: number; endpoint: ActiveEndpoint | null }>();
  /** Bumped on every eviction; a read that raced one does not cache what it read. */
  private epoch = 0;

  constructor(private readonly ttlMs = ACTIVE_ENDPOINT_CACHE_MS) {}

  async get(tenant: Tenant, read: () => Promise<ActiveEndpoint | null>): Promise<ActiveEndpoint | null> {
    const key = tenantKey(tenant);
    const cached = this.entries.get(key);
    if (cached && Date.now() - cached.at < this.ttlMs) return cached.endpoint;
    const epoch = this.epoch;
    const endpoint = await read();
    if (epoch === this.epoch) {
      if (this.entries.size >= 10_000) this.entries.clear();
      this.entries.set(key, { at: Date.now(), endpoint });
    }
    return endpoint;
  }

  /** One tenant's entry (its NOTIFY payload); any other payload clears them all. */
  invalidate(key: string | undefined): void {
    this.epoch++;
    if (key) this.entries.delete(key);
    else this.entries.clear();
  }

  invalidateAll(): void {
    this.invalidate(undefined);
  }
}
