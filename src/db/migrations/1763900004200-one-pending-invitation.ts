import { MigrationInterface, QueryRunner } from "typeorm";

/**
 * Inviting again replaces the pending invitation: at most one pending invitation
 * per email and environment, whatever the code does. Older duplicates (left by
 * concurrent invitations) are dropped first, keeping the newest of each.
 */
export class OnePendingInvitation1763900004200 implements MigrationInterface {
  name = "OnePendingInvitation1763900004200";

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM user_invitations i USING (
        SELECT id, row_number() OVER (PARTITION BY organization_id, environment, email ORDER BY created_at DESC, id DESC) AS rank
        FROM user_invitations WHERE accepted_at IS NULL) ranked
      WHERE i.id = ranked.id AND ranked.rank > 1`);
    await q.query(`CREATE UNIQUE INDEX user_invitations_one_pending_key ON user_invitations (organization_id, environment, email)
      WHERE accepted_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX user_invitations_one_pending_key`);
  }
}
