import "reflect-metadata";
import type { DataSource } from "typeorm";
import { createDataSource } from "../src/db/data-source";
import { Environment } from "../src/entities/enums";
import { ENTITIES } from "../src/entities/index";
import { CollaborativeAuthorizationRequest } from "../src/entities/collaborative-authorization-request";
import { NotificationEvent } from "../src/entities/notification-event";
import { copiedColumnsOf, TenantScope } from "../src/services/tenant-scope";
import { TenantScoped } from "../src/entities/tenant-scoped";

// TenantScope.create builds a row without TypeORM's metadata walk where that walk would only copy columns: the row
// must be the one TypeORM's create builds, for every tenant entity, whichever way it is built.

let dataSource: DataSource;
const tenant = { organizationId: "00000000-0000-4000-8000-000000000001", environment: Environment.TEST };

beforeAll(async () => {
  dataSource = createDataSource(process.env.KEYWAY_TEST_ADMIN_URL!, 1);
  await dataSource.initialize();
});
afterAll(async () => {
  await dataSource?.destroy();
});

const TENANT_ENTITIES = ENTITIES.filter((entity) => entity.prototype instanceof TenantScoped);

it.each(TENANT_ENTITIES.map((entity) => [entity.name, entity] as const))("%s: the same row as TypeORM's create", (_name, entity) => {
  const metadata = dataSource.getMetadata(entity);
  const values: Record<string, unknown> = { notAColumn: "left out", alsoUndefined: undefined };
  metadata.nonVirtualColumns.forEach((column, index) => {
    if (column.propertyName === "organizationId" || column.propertyName === "environment") return;
    // Every other column given (one of them undefined), with a value of its own.
    values[column.propertyName] = index === 1 ? undefined : { id: `${column.propertyName} value` };
  });
  const scope = new TenantScope(dataSource.manager, tenant);
  const built = scope.create(entity as never, values) as object;
  const typeorms = dataSource.manager.create(entity, { ...values, ...tenant } as never) as object;
  expect(Object.getPrototypeOf(built)).toBe(Object.getPrototypeOf(typeorms));
  expect(Object.keys(built).sort()).toEqual(Object.keys(typeorms).sort());
  expect({ ...built }).toEqual({ ...typeorms });
  expect(built).toMatchObject(tenant);
});

it("builds the rows of a simulated authorization without TypeORM's create", () => {
  for (const entity of [CollaborativeAuthorizationRequest, NotificationEvent]) {
    expect(copiedColumnsOf(dataSource.manager, entity)).toEqual(expect.arrayContaining(["id", "organizationId", "environment"]));
  }
  // Every entity but those above the tenant and the daily usage counters (written by SQL alone).
  expect(ENTITIES.filter((entity) => !TENANT_ENTITIES.includes(entity)).map((entity) => entity.name)).toEqual([
    "Organization",
    "User",
    "UserSession",
    "ApiKeyDailyUsage",
  ]);
});
