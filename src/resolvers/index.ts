import { ApiKeyResolver, OrganizationApiKeysResolver } from "./api-key.resolver.js";
import {
  CollaborativeAuthorizationEndpointResolver,
  CollaborativeAuthorizationRequestResolver,
  OrganizationCollaborativeAuthorizationResolver,
} from "./collaborative-authorization.resolver.js";
import { SystemResolver } from "./system.resolver.js";

/** Every resolver class; each capability adds its own. */
export const RESOLVERS = [
  SystemResolver,
  ApiKeyResolver,
  OrganizationApiKeysResolver,
  CollaborativeAuthorizationEndpointResolver,
  CollaborativeAuthorizationRequestResolver,
  OrganizationCollaborativeAuthorizationResolver,
] as const;
