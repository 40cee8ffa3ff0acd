import DataLoader from "dataloader";
import { requestSlot, type RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import type { Services } from "../services/registry.js";
import type { ApiKey } from "../entities/api-key.js";
import type { DailyUsage } from "../services/api-keys.js";
import type { CollaborativeAuthorizationEndpoint } from "../entities/collaborative-authorization-endpoint.js";
import type { SigningKey } from "../entities/signing-key.js";
import type { User } from "../entities/user.js";
import type { NotificationEvent } from "../entities/notification-event.js";
import type { EventKey } from "../services/notification-events.js";
import type { NotificationTarget } from "../entities/notification-target.js";

/** Per-request batching for references between objects (createdBy, rotatedFrom, …): one query per page, not per row. */
export interface Loaders {
  apiKey: DataLoader<string, ApiKey | null>;
  user: DataLoader<string, User | null>;
  collaborativeAuthorizationEndpoint: DataLoader<string, CollaborativeAuthorizationEndpoint | null>;
  /** By id, with the creation the pointing row read (its partition key): see findManyByKey. */
  notificationEvent: DataLoader<EventKey, NotificationEvent | null, string>;
  /** Removed targets included: attempts keep pointing at them. */
  notificationTarget: DataLoader<string, NotificationTarget | null>;
  /** Unexpired signing keys by owner (target or endpoint). */
  signingKeys: DataLoader<string, SigningKey[]>;
  /** A key's daily usage, by `{ keyId, days }`: one query for a page of keys. */
  apiKeyUsage: DataLoader<{ keyId: string; days: number }, DailyUsage[], string>;
}

const perRequest = requestSlot<Loaders>("loaders");

export function loadersFor(ctx: RequestContext, services: Services): Loaders {
  let loaders = perRequest.get(ctx);
  if (!loaders) {
    const tenant = tenantContext(ctx);
    loaders = {
      apiKey: new DataLoader(async (ids) => {
        const found = await services.apiKeys.findManyById(tenant, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
      user: new DataLoader(async (ids) => {
        const found = await services.users.findManyById(tenant, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
      collaborativeAuthorizationEndpoint: new DataLoader(async (ids) => {
        const found = await services.collaborativeAuthorization.findEndpointsById(tenant, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
      notificationEvent: new DataLoader(
        async (keys) => {
          const found = await services.notificationEvents.findManyByKey(tenant, keys);
          return keys.map((key) => found.get(key.id) ?? null);
        },
        { cacheKeyFn: (key) => key.id },
      ),
      notificationTarget: new DataLoader(async (ids) => {
        const found = await services.notificationTargets.findManyById(tenant, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
      signingKeys: new DataLoader(async (ids) => {
        const found = await services.signingKeys.validKeysByOwner(tenant, ids);
        return ids.map((id) => found.get(id) ?? []);
      }),
      apiKeyUsage: new DataLoader(
        async (wanted) => {
          // Every key of a page asks for the same `days`; group anyway, as aliases may differ.
          const byDays = new Map<number, Map<string, DailyUsage[]>>();
          for (const days of new Set(wanted.map((w) => w.days))) {
            const ids = wanted.filter((w) => w.days === days).map((w) => w.keyId);
            byDays.set(days, await services.apiKeys.dailyUsage(tenant, ids, days));
          }
          return wanted.map((w) => byDays.get(w.days)!.get(w.keyId)!);
        },
        { cacheKeyFn: (w) => `${w.keyId}:${w.days}` },
      ),
    };
    perRequest.set(ctx, loaders);
  }
  return loaders;
}
