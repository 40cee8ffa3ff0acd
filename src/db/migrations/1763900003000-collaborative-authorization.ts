import { MigrationInterface, QueryRunner } from "typeorm";

export class CollaborativeAuthorization1763900003000 implements MigrationInterface {
  name = "CollaborativeAuthorization1763900003000";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TYPE collab_endpoint_status AS ENUM ('PENDING_VERIFICATION', 'ACTIVE', 'DEACTIVATED', 'ACTIVATION_FAILED')`);
    await q.query(`CREATE TYPE collab_stand_in_decision AS ENUM ('APPROVE', 'DECLINE')`);
    await q.query(`CREATE TYPE collab_response_code AS ENUM ('APPROVED', 'DECLINED')`);
    await q.query(`CREATE TYPE collab_decided_by AS ENUM ('ENDPOINT', 'STAND_IN')`);
    await q.query(`CREATE TYPE collab_stand_in_reason AS ENUM ('TIMEOUT', 'ERROR', 'NO_ACTIVE_ENDPOINT')`);

    await q.query(`CREATE TABLE collab_endpoints (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      name text NOT NULL,
      uri text NOT NULL,
      status collab_endpoint_status NOT NULL DEFAULT 'PENDING_VERIFICATION',
      stand_in_decision collab_stand_in_decision NOT NULL DEFAULT 'DECLINE',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      activated_at timestamptz,
      deactivated_at timestamptz,
      deleted_at timestamptz)`);
    // At most one ACTIVE endpoint per organization and environment, whatever the code does.
    await q.query(`CREATE UNIQUE INDEX collab_endpoints_one_active_key ON collab_endpoints (organization_id, environment)
      WHERE status = 'ACTIVE'`);
    await q.query(`CREATE INDEX collab_endpoints_list_idx ON collab_endpoints (organization_id, environment, created_at DESC, id DESC)
      WHERE deleted_at IS NULL`);

    await q.query(`CREATE TABLE collab_requests (
      id uuid PRIMARY KEY,
      organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
      environment environment NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      endpoint_id uuid REFERENCES collab_endpoints(id),
      amount integer NOT NULL CHECK (amount >= 0),
      currency_code text NOT NULL,
      merchant_name text,
      response_code collab_response_code NOT NULL,
      authorized_amount integer NOT NULL CHECK (authorized_amount >= 0 AND authorized_amount <= amount),
      decided_by collab_decided_by NOT NULL,
      stand_in_reason collab_stand_in_reason,
      latency_ms integer NOT NULL,
      CHECK ((decided_by = 'STAND_IN') = (stand_in_reason IS NOT NULL)))`);
    await q.query(`CREATE INDEX collab_requests_list_idx ON collab_requests (organization_id, environment, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE collab_requests`);
    await q.query(`DROP TABLE collab_endpoints`);
    for (const type of [
      "collab_stand_in_reason",
      "collab_decided_by",
      "collab_response_code",
      "collab_stand_in_decision",
      "collab_endpoint_status",
    ]) {
      await q.query(`DROP TYPE ${type}`);
    }
  }
}
