import DataLoader from "dataloader";
import { tenantContext, type RequestContext } from "../auth/request-context.js";
import type { Services } from "../app.js";
import type { NotificationEvent } from "../entities/notification-event.js";
import type { NotificationTarget } from "../entities/notification-target.js";
import type { SigningKey } from "../entities/signing-key.js";

/** Per-request batching for the references of deliveries and attempts (event, target, signing keys). */
export interface NotificationLoaders {
  event: DataLoader<string, NotificationEvent | null>;
  target: DataLoader<string, NotificationTarget | null>;
  signingKeys: DataLoader<string, SigningKey[]>;
}

const perRequest = new WeakMap<RequestContext, NotificationLoaders>();

export function notificationLoadersFor(ctx: RequestContext, services: Services): NotificationLoaders {
  let loaders = perRequest.get(ctx);
  if (!loaders) {
    const tenant = tenantContext(ctx);
    loaders = {
      event: new DataLoader(async (ids) => {
        const found = await services.notificationEvents.findManyById(tenant, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
      target: new DataLoader(async (ids) => {
        const found = await services.notificationTargets.findManyById(tenant, ids);
        return ids.map((id) => found.get(id) ?? null);
      }),
      signingKeys: new DataLoader(async (ids) => {
        const found = await services.signingKeys.validKeysByOwner(tenant, ids);
        return ids.map((id) => found.get(id) ?? []);
      }),
    };
    perRequest.set(ctx, loaders);
  }
  return loaders;
}
