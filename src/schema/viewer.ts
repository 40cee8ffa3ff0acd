import { Field, ObjectType } from "type-graphql";
import { Environment } from "../entities/enums.js";
import { Organization } from "../entities/organization.js";
import { Actor } from "./actor.js";

@ObjectType({ description: "Who is calling, in which environment, with what permissions." })
export class Viewer {
  @Field(() => Actor, { description: "The user of a session, or the API key." })
  actor: typeof Actor;

  @Field(() => Environment)
  environment: Environment;

  @Field(() => Organization)
  organization: Organization;

  @Field({ description: "The actor's role in this environment, e.g. ADMIN, DEVELOPER, SUPPORT or READONLY." })
  role: string;

  @Field(() => [String])
  permissions: string[];
}
