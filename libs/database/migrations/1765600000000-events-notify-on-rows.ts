import { MigrationInterface, QueryRunner } from 'typeorm';

export class EventsNotifyOnRows1765600000000 implements MigrationInterface {
  name = 'EventsNotifyOnRows1765600000000';

  async up(q: QueryRunner): Promise<void> {
    // A statement trigger fires for an INSERT of no row too, and the statement that records a
    // batch of successes inserts its webhook.endpoint.recovered events (none, nearly always): every
    // batch of a delivery burst woke every worker's relay for nothing. Now only inserted rows notify.
    await q.query(`
      DROP TRIGGER events_notify_relay ON events;
      CREATE OR REPLACE FUNCTION events_notify_relay() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF EXISTS (SELECT 1 FROM inserted) THEN
          PERFORM pg_notify('tessera_events', '');
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER events_notify_relay AFTER INSERT ON events REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION events_notify_relay();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER events_notify_relay ON events;
      CREATE OR REPLACE FUNCTION events_notify_relay() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('tessera_events', '');
        RETURN NULL;
      END $$;
      CREATE TRIGGER events_notify_relay AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION events_notify_relay();
    `);
  }
}
