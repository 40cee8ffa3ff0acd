import { Arg, Args, Ctx, FieldResolver, Resolver } from "type-graphql";
import { Allowed } from "../auth/allowed.js";
import type { Services } from "../services/registry.js";
import type { RequestContext } from "../auth/request-context.js";
import { tenantContext } from "../auth/graphql-edge.js";
import { Organization } from "../entities/organization.js";
import { ConnectionArgs, toConnection } from "../schema/connection.js";
import { AuditLogEntryConnection, AuditLogFilterInput } from "../schema/users.js";

@Resolver(() => Organization)
export class OrganizationAuditLogResolver {
  constructor(private readonly services: Services) {}

  @Allowed("audit:read")
  @FieldResolver(() => AuditLogEntryConnection, { description: "Every successful mutation in the current environment, newest first." })
  auditLog(
    @Args() page: ConnectionArgs,
    @Arg("filterBy", () => AuditLogFilterInput, { nullable: true }) filterBy: AuditLogFilterInput | null,
    @Ctx() ctx: RequestContext,
  ) {
    return toConnection(this.services.auditLog.list(tenantContext(ctx), page, filterBy));
  }
}
