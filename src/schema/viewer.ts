import { Field, ObjectType } from "type-graphql";
import { Environment } from "../entities/enums.js";

@ObjectType({ simpleResolvers: true, description: "Who is calling, in which environment, with what permissions." })
export class Viewer {
  @Field(() => Environment)
  environment: Environment;

  @Field({ description: "The actor's role in this environment, e.g. ADMIN, DEVELOPER, SUPPORT or READONLY." })
  role: string;

  @Field(() => [String])
  permissions: string[];
}
