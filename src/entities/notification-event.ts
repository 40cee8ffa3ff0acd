import { GraphQLJSONObject } from "graphql-scalars";
import { Field, ID, ObjectType } from "type-graphql";
import { Column, Entity, Index } from "typeorm";
import { encodeId } from "../db/ids.js";
import { Node } from "./node.js";
import { NotificationEventName } from "./enums.js";
import { TenantScoped } from "./tenant-scoped.js";
import { NodeRow } from "./node-row.js";

/** The outbox: written in the same transaction as the change it reports. */
@Entity({ name: "notification_events" })
@ObjectType("NotificationEvent", { implements: Node, simpleResolvers: true })
export class NotificationEvent extends NodeRow("NotificationEvent", TenantScoped) implements Node {
  /** Declared again for the description. */
  @Field(() => ID, { name: "id", description: "evt_…; also the `webhook-id` header and the body's `id` of every delivery." })
  get nodeId(): string {
    return encodeId("NotificationEvent", this.id);
  }

  @Field(() => NotificationEventName)
  @Column({ type: "enum", enum: NotificationEventName, enumName: "notification_event_name" })
  name: NotificationEventName;

  /** The `data` member of the delivered body. */
  @Field(() => GraphQLJSONObject, { description: "The `data` member of the delivered body." })
  @Column({ type: "jsonb" })
  data: Record<string, unknown>;

  @Field({ description: "When the event and its delivery attempts are deleted." })
  @Index()
  @Column({ name: "expires_at", type: "timestamptz" })
  expiresAt: Date;
}
