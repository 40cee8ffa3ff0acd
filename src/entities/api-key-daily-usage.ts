import { Column, Entity, PrimaryColumn } from "typeorm";
import { bigintAsNumber } from "./column-transformers.js";

/**
 * Requests of one key on one UTC day: written by the usage flush in the statement that
 * adds to `api_keys.usage_count`, so the days always sum to the key's count. No tenant
 * columns: it is read only joined to its key's tenant-scoped row.
 */
@Entity({ name: "api_key_daily_usage" })
export class ApiKeyDailyUsage {
  @PrimaryColumn({ name: "api_key_id", type: "uuid" })
  apiKeyId: string;

  /** YYYY-MM-DD (UTC). */
  @PrimaryColumn({ type: "date" })
  date: string;

  @Column({ name: "request_count", type: "bigint", transformer: bigintAsNumber })
  requestCount: number;
}
