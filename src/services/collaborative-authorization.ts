import { randomUUID } from "node:crypto";
import { IsNull } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import type { Config } from "../config.js";
import { ENVIRONMENT, ORGANIZATION, sql, tenantMatch } from "../db/sql.js";
import {
  CollaborativeAuthorizationEndpoint as Endpoint,
  CollaborativeAuthorizationEndpointStatus as EndpointStatus,
  CollaborativeAuthorizationStandInDecision as StandInDecision,
} from "../entities/collaborative-authorization-endpoint.js";
import {
  CollaborativeAuthorizationDecidedBy as DecidedBy,
  CollaborativeAuthorizationRequest as AuthorizationRequest,
  CollaborativeAuthorizationResponseCode as ResponseCode,
  CollaborativeAuthorizationStandInReason as StandInReason,
} from "../entities/collaborative-authorization-request.js";
import { Environment, NotificationEventName } from "../entities/enums.js";
import { paginate, type PageArgs } from "../db/pagination.js";
import { encodeId } from "../db/ids.js";
import { InvalidState, NotAvailableInLive, NotFound } from "./domain-errors.js";
import { answeredWith2xx, type OutboundHttp, type OutboundResponse } from "./outbound-http.js";
import { cleanName } from "./names.js";
import { ActiveEndpointCache, COLLAB_ENDPOINT_CHANGED_CHANNEL, type ActiveEndpoint } from "./active-endpoints.js";
import { assertMayCreate } from "./plans.js";
import type { SigningKeyService } from "./signing-keys.js";
import { tenantKey, type TenantScope } from "./tenant-scope.js";
import type { Transaction, Transactions } from "./transaction.js";
import { signatureHeaders } from "./webhook-signature.js";

export interface NewEndpoint {
  name: string;
  uri: string;
  standInDecision?: StandInDecision | null;
}

export interface AuthorizationDetails {
  /** Minor units. */
  amount: number;
  currencyCode: string;
  merchantName?: string | null;
}

type Decision = Pick<AuthorizationRequest, "responseCode" | "authorizedAmount" | "decidedBy" | "standInReason">;

export const VERIFICATION_TYPE = "COLLABORATIVE_AUTHORIZATION_ENDPOINT_VERIFICATION";
export const REQUEST_TYPE = "COLLABORATIVE_AUTHORIZATION_REQUEST";

/** What the COLLABORATIVE_AUTHORIZATION_DECIDED event carries. */
export function authorizationEventData(request: AuthorizationRequest): Record<string, unknown> {
  return {
    object: "collaborative_authorization_request",
    id: request.nodeId,
    endpointId: request.endpointId ? encodeId("CollaborativeAuthorizationEndpoint", request.endpointId) : null,
    amount: request.amount,
    currencyCode: request.currencyCode,
    merchantName: request.merchantName,
    responseCode: request.responseCode,
    authorizedAmount: request.authorizedAmount,
    decidedBy: request.decidedBy,
    standInReason: request.standInReason,
    latencyMs: request.latencyMs,
  };
}

/**
 * The endpoint's answer, or null when it is unusable (→ stand-in, ERROR): a 2xx whose
 * JSON body has responseCode APPROVED or DECLINED. APPROVED without authorizedAmount
 * approves the full amount; an authorizedAmount below it is a partial approval; one that
 * is not an integer in 0..amount is unusable. DECLINED always authorizes 0.
 */
export function parseEndpointAnswer(response: OutboundResponse, amount: number): Decision | null {
  if (!answeredWith2xx(response)) return null;
  let answer: unknown;
  try {
    answer = JSON.parse(response.responseBody ?? "");
  } catch {
    return null;
  }
  if (typeof answer !== "object" || answer === null) return null;
  const { responseCode, authorizedAmount } = answer as { responseCode?: unknown; authorizedAmount?: unknown };
  const byEndpoint = { decidedBy: DecidedBy.ENDPOINT, standInReason: null };
  if (responseCode === ResponseCode.DECLINED) return { ...byEndpoint, responseCode: ResponseCode.DECLINED, authorizedAmount: 0 };
  if (responseCode !== ResponseCode.APPROVED) return null;
  if (authorizedAmount === undefined || authorizedAmount === null) {
    return { ...byEndpoint, responseCode: ResponseCode.APPROVED, authorizedAmount: amount };
  }
  if (!Number.isInteger(authorizedAmount) || (authorizedAmount as number) < 0 || (authorizedAmount as number) > amount) return null;
  return { ...byEndpoint, responseCode: ResponseCode.APPROVED, authorizedAmount: authorizedAmount as number };
}

function standIn(decision: StandInDecision, amount: number, reason: StandInReason): Decision {
  const approve = decision === StandInDecision.APPROVE;
  return {
    responseCode: approve ? ResponseCode.APPROVED : ResponseCode.DECLINED,
    authorizedAmount: approve ? amount : 0,
    decidedBy: DecidedBy.STAND_IN,
    standInReason: reason,
  };
}

/** Serializes, per environment, the count of endpoints on add and the one-ACTIVE swap. */
const ENDPOINTS_LOCK = "collab_endpoints";

/**
 * Collaborative-authorization endpoints (at most one ACTIVE per environment) and the
 * decisions they make. HTTP calls to endpoints never happen inside a transaction.
 */
export class CollaborativeAuthorizationService {
  /** Each environment's ACTIVE endpoint, read once (see ActiveEndpointCache). */
  readonly activeEndpoints = new ActiveEndpointCache();

  constructor(
    private readonly config: Config,
    private readonly transactions: Transactions,
    private readonly outboundHttp: OutboundHttp,
    private readonly signingKeys: SigningKeyService,
  ) {}

  async add(ctx: TenantContext, input: NewEndpoint): Promise<Endpoint> {
    const name = cleanName(input.name);
    const uri = input.uri.trim();
    // DNS happens here, before the transaction opens.
    await this.outboundHttp.assertSafe(uri, ctx.environment, "uri");
    return this.transactions.run(ctx, async (tx) => {
      await assertMayCreate(tx, {
        lock: ENDPOINTS_LOCK,
        max: this.config.collab.maxEndpointsPerEnvironment,
        what: "collaborative-authorization endpoints",
        count: (tx) => tx.scope.count(Endpoint, { deletedAt: IsNull() }),
      });
      const endpoint = await tx.scope.save(
        tx.scope.create(Endpoint, {
          name,
          uri,
          standInDecision: input.standInDecision ?? StandInDecision.DECLINE,
          status: EndpointStatus.PENDING_VERIFICATION,
          activatedAt: null,
          deactivatedAt: null,
          deletedAt: null,
        }),
      );
      await this.signingKeys.create(tx, endpoint.id);
      await tx.audit("collaborative_authorization_endpoint.add", endpoint.nodeId);
      return endpoint;
    });
  }

  /**
   * Sends a signed verification request (outside any transaction); on a 2xx within the
   * budget, one short transaction deactivates the ACTIVE endpoint and activates this one,
   * so readers see the old one or the new one, never both and never none. Otherwise the
   * endpoint becomes ACTIVATION_FAILED and the active one stays active.
   */
  async activate(ctx: TenantContext, endpointId: string): Promise<Endpoint> {
    const scope = this.transactions.scope(ctx);
    const endpoint = await this.findOrFail(scope, endpointId);
    if (endpoint.status === EndpointStatus.ACTIVE) throw new InvalidState("The endpoint is already active", "endpointId");
    const id = `msg_${randomUUID().replace(/-/g, "")}`;
    const body = JSON.stringify({
      id,
      type: VERIFICATION_TYPE,
      environment: ctx.environment,
      timestamp: new Date().toISOString(),
      data: { endpointId: endpoint.nodeId },
    });
    const response = await this.send(ctx, endpoint, id, body, this.config.collab.timeoutMs);
    const verified = answeredWith2xx(response);

    return this.transactions.run(ctx, async (tx) => {
      // Serializes every status change of this environment's endpoints.
      await this.lockEnvironment(tx);
      await this.activeEndpointChanges(tx);
      const current = await this.lockOrFail(tx, endpointId);
      if (current.status !== EndpointStatus.ACTIVE) {
        const now = new Date();
        if (verified) {
          const previous = await tx.scope.findOne(Endpoint, { status: EndpointStatus.ACTIVE });
          if (previous) {
            previous.status = EndpointStatus.DEACTIVATED;
            previous.deactivatedAt = now;
            await tx.scope.save(previous);
          }
          current.status = EndpointStatus.ACTIVE;
          current.activatedAt = now;
        } else {
          current.status = EndpointStatus.ACTIVATION_FAILED;
        }
        await tx.scope.save(current);
      }
      await tx.audit(
        verified ? "collaborative_authorization_endpoint.activate" : "collaborative_authorization_endpoint.activation_failed",
        current.nodeId,
      );
      return current;
    });
  }

  /** Decisions fall back to DECLINED (NO_ACTIVE_ENDPOINT) until another endpoint is activated. */
  deactivate(ctx: TenantContext, endpointId: string): Promise<Endpoint> {
    return this.transactions.run(ctx, async (tx) => {
      await this.lockEnvironment(tx);
      await this.activeEndpointChanges(tx);
      const endpoint = await this.lockOrFail(tx, endpointId);
      if (endpoint.status === EndpointStatus.DEACTIVATED) throw new InvalidState("The endpoint is already deactivated", "endpointId");
      endpoint.status = EndpointStatus.DEACTIVATED;
      endpoint.deactivatedAt = new Date();
      await tx.scope.save(endpoint);
      await tx.audit("collaborative_authorization_endpoint.deactivate", endpoint.nodeId);
      return endpoint;
    });
  }

  rename(ctx: TenantContext, endpointId: string, rawName: string): Promise<Endpoint> {
    const name = cleanName(rawName);
    return this.transactions.run(ctx, async (tx) => {
      const endpoint = await this.lockOrFail(tx, endpointId);
      endpoint.name = name;
      await tx.scope.save(endpoint);
      await tx.audit("collaborative_authorization_endpoint.rename", endpoint.nodeId);
      return endpoint;
    });
  }

  /**
   * Removing the ACTIVE endpoint is refused: it would silently switch every decision to
   * DECLINED. Deactivate it first (or activate a replacement, which swaps atomically).
   */
  remove(ctx: TenantContext, endpointId: string): Promise<Endpoint> {
    return this.transactions.run(ctx, async (tx) => {
      await this.lockEnvironment(tx);
      const endpoint = await this.lockOrFail(tx, endpointId);
      if (endpoint.status === EndpointStatus.ACTIVE) {
        throw new InvalidState("The active endpoint cannot be removed; deactivate it or activate another one first", "endpointId");
      }
      endpoint.deletedAt = new Date();
      await tx.scope.save(endpoint);
      await tx.audit("collaborative_authorization_endpoint.remove", endpoint.nodeId);
      return endpoint;
    });
  }

  /** TEST only: decides like a real authorization would and records it. */
  async simulate(ctx: TenantContext, details: AuthorizationDetails): Promise<AuthorizationRequest> {
    if (ctx.environment === Environment.LIVE) throw new NotAvailableInLive("simulateCollaborativeAuthorization");
    const request = await this.decide(ctx, details);
    // The request row, its audit row and its event in one statement: the caller is waiting.
    await this.transactions.singleStatement(ctx).auditAndEmit(
      "collaborative_authorization.simulate",
      request.nodeId,
      NotificationEventName.COLLABORATIVE_AUTHORIZATION_DECIDED,
      authorizationEventData(request),
      sql`INSERT INTO collab_requests (id, organization_id, environment, created_at, endpoint_id, amount, currency_code,
            merchant_name, response_code, authorized_amount, decided_by, stand_in_reason, latency_ms)
          VALUES (${request.id}, ${ORGANIZATION}, ${ENVIRONMENT}, ${request.createdAt}, ${request.endpointId}, ${request.amount},
            ${request.currencyCode}, ${request.merchantName}, ${request.responseCode}, ${request.authorizedAmount}, ${request.decidedBy},
            ${request.standInReason ?? null}, ${request.latencyMs})`,
      "keyway_simulate_authorization",
    );
    return request;
  }

  /**
   * Asks the ACTIVE endpoint and applies its answer, or the stand-in decision. The budget
   * (KEYWAY_COLLAB_TIMEOUT_MS) runs from the moment the request arrives, so the database
   * reads before the call count against it. Never throws for anything the endpoint does.
   */
  private async decide(ctx: TenantContext, details: AuthorizationDetails): Promise<AuthorizationRequest> {
    const started = performance.now();
    const receivedAt = new Date();
    const scope = this.transactions.scope(ctx);
    const request = scope.create(AuthorizationRequest, {
      id: randomUUID(),
      createdAt: receivedAt,
      amount: details.amount,
      currencyCode: details.currencyCode,
      merchantName: details.merchantName?.trim() || null,
    });
    const endpoint = await this.activeEndpoints.get(ctx, () => this.readActiveEndpoint(ctx));
    request.endpointId = endpoint?.id ?? null;
    let decision: Decision;
    if (!endpoint) {
      decision = standIn(StandInDecision.DECLINE, request.amount, StandInReason.NO_ACTIVE_ENDPOINT);
    } else {
      const body = JSON.stringify({
        id: request.nodeId,
        type: REQUEST_TYPE,
        environment: ctx.environment,
        timestamp: receivedAt.toISOString(),
        transaction: { amount: request.amount, currencyCode: request.currencyCode, merchantName: request.merchantName },
      });
      const remainingMs = Math.max(1, Math.round(this.config.collab.timeoutMs - (performance.now() - started)));
      const now = Date.now();
      const secrets = endpoint.keys.filter((key) => key.expiresAt === null || key.expiresAt > now).map((key) => key.secret);
      const headers = signatureHeaders(secrets, request.nodeId, body);
      const response = await this.outboundHttp.postJson(endpoint.uri, ctx.environment, body, headers, remainingMs);
      decision = response.timedOut
        ? standIn(endpoint.stand_in_decision, request.amount, StandInReason.TIMEOUT)
        : (parseEndpointAnswer(response, request.amount) ?? standIn(endpoint.stand_in_decision, request.amount, StandInReason.ERROR));
    }
    Object.assign(request, decision, { latencyMs: Math.round(performance.now() - started) });
    return request;
  }

  /**
   * The ACTIVE endpoint with its unexpired signing keys, newest first, in one round trip: it is spent out of the
   * decision's 2 s when the cache has no entry. Deleted endpoints are never ACTIVE (remove refuses them).
   */
  private async readActiveEndpoint(ctx: TenantContext): Promise<ActiveEndpoint | null> {
    const [endpoint] = await this.transactions
      .scope(ctx)
      .rows<Omit<ActiveEndpoint, "keys"> & { keys: Array<{ secret: string; expires_at: string | null }> }>(
        sql`SELECT e.id, e.uri, e.stand_in_decision,
              coalesce((SELECT json_agg(json_build_object('secret', k.secret, 'expires_at', k.expires_at) ORDER BY k.created_at DESC)
                          FROM signing_keys k
                         WHERE k.owner_id = e.id AND k.organization_id = e.organization_id AND k.environment = e.environment
                           AND (k.expires_at IS NULL OR k.expires_at > now())), '[]') AS keys
         FROM collab_endpoints e
        WHERE ${tenantMatch("e")} AND e.status = 'ACTIVE'`,
      );
    if (!endpoint) return null;
    // Stored encrypted; the box decrypts each key once per process and caches it.
    const keys = endpoint.keys.map((key) => ({
      secret: this.signingKeys.open(key.secret),
      expiresAt: key.expires_at === null ? null : Date.parse(key.expires_at),
    }));
    return { ...endpoint, keys };
  }

  /**
   * This transaction may change which endpoint is ACTIVE: every process drops the environment's cached one when it
   * commits (this one at once, the others on NOTIFY).
   */
  private async activeEndpointChanges(tx: Transaction): Promise<void> {
    const key = tenantKey(tx.ctx);
    tx.afterCommit(() => this.activeEndpoints.invalidate(key));
    await tx.notify(COLLAB_ENDPOINT_CHANGED_CHANNEL, key);
  }

  /** POSTs a Standard Webhooks message signed with every valid key of the endpoint. */
  private async send(
    ctx: TenantContext,
    endpoint: Endpoint,
    messageId: string,
    body: string,
    timeoutMs: number,
  ): Promise<OutboundResponse> {
    const keys = await this.signingKeys.validKeys(ctx, endpoint.id);
    const headers = signatureHeaders(
      keys.map((key) => key.secret),
      messageId,
      body,
    );
    return this.outboundHttp.postJson(endpoint.uri, endpoint.environment, body, headers, timeoutMs);
  }

  findEndpoint(ctx: TenantContext, id: string): Promise<Endpoint | null> {
    return this.transactions.scope(ctx).findOne(Endpoint, { id, deletedAt: IsNull() });
  }

  /** Removed endpoints included: the requests they decided still name them. */
  findEndpointsById(ctx: TenantContext, ids: readonly string[]): Promise<Map<string, Endpoint>> {
    return this.transactions.scope(ctx).findManyById(Endpoint, ids);
  }

  findRequest(ctx: TenantContext, id: string): Promise<AuthorizationRequest | null> {
    return this.transactions.scope(ctx).findOne(AuthorizationRequest, { id });
  }

  listEndpoints(ctx: TenantContext, args: PageArgs) {
    return paginate(this.transactions.scope(ctx).query(Endpoint, "e").andWhere("e.deletedAt IS NULL"), args);
  }

  listRequests(ctx: TenantContext, args: PageArgs) {
    return paginate(this.transactions.scope(ctx).query(AuthorizationRequest, "r"), args);
  }

  private async findOrFail(scope: TenantScope, endpointId: string): Promise<Endpoint> {
    const endpoint = await scope.findOne(Endpoint, { id: endpointId, deletedAt: IsNull() });
    if (!endpoint) throw new NotFound("Collaborative-authorization endpoint", "endpointId");
    return endpoint;
  }

  private async lockOrFail(tx: Transaction, endpointId: string): Promise<Endpoint> {
    const endpoint = await tx.scope.findOneForUpdate(Endpoint, { id: endpointId, deletedAt: IsNull() });
    if (!endpoint) throw new NotFound("Collaborative-authorization endpoint", "endpointId");
    return endpoint;
  }

  /** One at a time per organization and environment: limit counts and the ACTIVE swap. */
  private async lockEnvironment(tx: Transaction): Promise<void> {
    await tx.lockTenant(ENDPOINTS_LOCK);
  }
}
