import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { ActorType } from "./enums.js";
import { TenantScoped } from "./tenant-scoped.js";

/** One row per successful mutation, written in the mutation's transaction. */
@Entity({ name: "audit_log" })
export class AuditLogEntry extends TenantScoped {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  /** `<noun>.<verb>`, e.g. `api_key.revoke`. */
  @Column({ type: "text" })
  action: string;

  @Column({ name: "actor_type", type: "enum", enum: ActorType, enumName: "actor_type" })
  actorType: ActorType;

  @Column({ name: "actor_id", type: "uuid", nullable: true })
  actorId: string | null;

  @Column({ name: "actor_display_name", type: "text" })
  actorDisplayName: string;

  /** The node id of the object the mutation changed. */
  @Column({ name: "target_id", type: "text", nullable: true })
  targetId: string | null;

  @Column({ name: "request_id", type: "text", nullable: true })
  requestId: string | null;
}
