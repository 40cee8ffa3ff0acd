import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from "typeorm";
import { NotificationEventName } from "./enums.js";
import { TenantScoped } from "./tenant-scoped.js";

/** The outbox: written in the same transaction as the change it reports. */
@Entity({ name: "notification_events" })
export class NotificationEvent extends TenantScoped {
  @PrimaryGeneratedColumn("uuid")
  id: string;

  @Column({ type: "enum", enum: NotificationEventName, enumName: "notification_event_name" })
  name: NotificationEventName;

  /** The `data` member of the delivered body. */
  @Column({ type: "jsonb" })
  data: Record<string, unknown>;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;

  @Index()
  @Column({ name: "expires_at", type: "timestamptz" })
  expiresAt: Date;
}
