import { Field, ID, InterfaceType } from "type-graphql";

/**
 * Relay's Node. Implementations expose their typed id through a `nodeId` getter (entities/node-row.ts).
 * The field is never simple: `id` reads the getter, not the row's UUID property of the same name.
 */
@InterfaceType({ description: "An object with a typed, opaque id such as key_…, usr_…, nt_…, cae_…, evt_…" })
export abstract class Node {
  @Field(() => ID, { name: "id", simple: false })
  nodeId: string;
}
