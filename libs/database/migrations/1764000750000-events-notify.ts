import { MigrationInterface, QueryRunner } from 'typeorm';

export class EventsNotify1764000750000 implements MigrationInterface {
  name = 'EventsNotify1764000750000';

  async up(q: QueryRunner): Promise<void> {
    // Wakes the webhook relay the moment an outbox row commits (NOTIFY is delivered at commit, and
    // one per transaction: PostgreSQL folds identical notifications), instead of a tight poll.
    await q.query(`
      CREATE FUNCTION events_notify_relay() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tessera_events', '');
        RETURN NULL;
      END $$;
      CREATE TRIGGER events_notify_relay AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION events_notify_relay();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER events_notify_relay ON events; DROP FUNCTION events_notify_relay();`);
  }
}
