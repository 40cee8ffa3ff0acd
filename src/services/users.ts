import { In, type DataSource } from "typeorm";
import type { TenantContext } from "../auth/request-context.js";
import { User } from "../entities/user.js";

/** Dashboard users. Identities are organization-wide; roles are per environment (memberships). */
export class UserService {
  constructor(private readonly dataSource: DataSource) {}

  findById(ctx: Pick<TenantContext, "organizationId">, id: string): Promise<User | null> {
    return this.dataSource.manager.findOneBy(User, { id, organizationId: ctx.organizationId });
  }

  async findManyById(ctx: Pick<TenantContext, "organizationId">, ids: readonly string[]): Promise<Map<string, User>> {
    const users = await this.dataSource.manager.findBy(User, { id: In([...ids]), organizationId: ctx.organizationId });
    return new Map(users.map((user) => [user.id, user]));
  }
}
