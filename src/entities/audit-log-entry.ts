import { Field, ID, ObjectType } from "type-graphql";
import { Column, Entity } from "typeorm";
import { encodeId } from "../db/ids.js";
import { Node } from "./node.js";
import { ActorType } from "./enums.js";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

@ObjectType("AuditLogActor", { description: "Who made the change, as it was named at the time.", simpleResolvers: true })
export class AuditLogActor {
  @Field(() => ActorType)
  type: ActorType;

  @Field(() => ID, { nullable: true, description: "usr_… or key_…; null when Keyway itself acted (SYSTEM)." })
  id: string | null;

  @Field()
  displayName: string;
}

/** One row per successful mutation, written in the mutation's transaction. */
@Entity({ name: "audit_log" })
@ObjectType("AuditLogEntry", { implements: Node, simpleResolvers: true })
export class AuditLogEntry extends NodeRow("AuditLogEntry", TenantScoped) implements Node {
  /** `<noun>.<verb>`, e.g. `api_key.revoke`. */
  @Field({ description: "`<noun>.<verb>`, e.g. api_key.revoke." })
  @Column({ type: "text" })
  action: string;

  @Column({ name: "actor_type", type: "enum", enum: ActorType, enumName: "actor_type" })
  actorType: ActorType;

  @Column({ name: "actor_id", type: "uuid", nullable: true })
  actorId: string | null;

  @Column({ name: "actor_display_name", type: "text" })
  actorDisplayName: string;

  @Field(() => AuditLogActor)
  get actor(): AuditLogActor {
    const id =
      this.actorId && this.actorType !== ActorType.SYSTEM
        ? encodeId(this.actorType === ActorType.USER ? "User" : "APIKey", this.actorId)
        : null;
    return Object.assign(new AuditLogActor(), { type: this.actorType, id, displayName: this.actorDisplayName });
  }

  /** The node id of the object the mutation changed. */
  @Field(() => String, { nullable: true, description: "The id of the object the mutation changed." })
  @Column({ name: "target_id", type: "text", nullable: true })
  targetId: string | null;

  @Field(() => String, { nullable: true, description: "The x-request-id of the request that made the change." })
  @Column({ name: "request_id", type: "text", nullable: true })
  requestId: string | null;
}
