import { ApiKeyResolver, OrganizationApiKeysResolver } from "./api-key.resolver.js";
import { SystemResolver, ViewerResolver } from "./system.resolver.js";

/** Every resolver class; each capability adds its own. */
export const RESOLVERS = [SystemResolver, ViewerResolver, ApiKeyResolver, OrganizationApiKeysResolver] as const;
