import { ApiKeyResolver, OrganizationApiKeysResolver } from "./api-key.resolver.js";
import { OrganizationAuditLogResolver } from "./audit-log.resolver.js";
import { OrganizationSharedSecretResolver, SharedSecretResolver } from "./shared-secret.resolver.js";
import { SystemResolver } from "./system.resolver.js";
import { OrganizationUsersResolver, UserResolver } from "./user.resolver.js";

/** Every resolver class; each capability adds its own. */
export const RESOLVERS = [SystemResolver, ApiKeyResolver, OrganizationApiKeysResolver, UserResolver, OrganizationUsersResolver, SharedSecretResolver, OrganizationSharedSecretResolver, OrganizationAuditLogResolver] as const;
