import { Field, ID, InterfaceType } from "type-graphql";

/** Relay's Node. Implementations expose their typed id through a `nodeId` getter. */
@InterfaceType({ description: "An object with a typed, opaque id such as key_…, usr_…, nt_…, cae_…, evt_…" })
export abstract class Node {
  @Field(() => ID, { name: "id" })
  nodeId: string;
}
