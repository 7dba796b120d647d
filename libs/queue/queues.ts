/** Queue names: one per kind of work, so each can be scaled and watched on its own. */
export const Queues = {
  maintenance: 'maintenance',
  mail: 'mail',
  metering: 'metering',
  /** One job per webhook delivery (jobId = delivery id), plus the retention job. */
  webhooks: 'webhooks',
  /** Accepted pixel events, a batch per job, written to PostgreSQL by the worker. */
  pixel: 'pixel',
} as const;
export type QueueName = (typeof Queues)[keyof typeof Queues];

/** Job names and their payloads. */
export const Jobs = {
  purgeExpiredSessions: 'sessions.purge-expired',
  sendPasswordReset: 'mail.password-reset',
  sendInvitation: 'mail.invitation',
  sendEmailChange: 'mail.email-change',
  sendMagicLink: 'mail.magic-link',
  flushApiCalls: 'metering.flush-api-calls',
  deliverWebhook: 'webhooks.deliver',
  purgeWebhooks: 'webhooks.purge',
  storePixelEvents: 'pixel.store-events',
} as const;

/** The jobs of the mail queue: each is handled by the module that owns what it mails. */
export const MAIL_JOBS = [Jobs.sendPasswordReset, Jobs.sendInvitation, Jobs.sendEmailChange, Jobs.sendMagicLink] as const;
export type MailJob = (typeof MAIL_JOBS)[number];

export interface JobPayloads {
  [Jobs.purgeExpiredSessions]: Record<string, never>;
  /** Only the address: the worker makes the token, so no secret waits in Redis. */
  [Jobs.sendPasswordReset]: { email: string; requestId: string | null };
  /** The invitation to announce; the worker reads the rest. */
  [Jobs.sendInvitation]: { invitationId: string };
  /** The pending change: the worker makes its token, so no secret waits in Redis. */
  [Jobs.sendEmailChange]: { emailChangeId: string };
  /** Only the address: the worker makes the link's token, so no secret waits in Redis. */
  [Jobs.sendMagicLink]: { email: string; requestId: string | null };
  [Jobs.flushApiCalls]: Record<string, never>;
  /** Only the id: the worker reads the delivery, its event and its endpoint (and the sealed secret) from PostgreSQL. */
  /**
   * `endpoint`: the endpoint's id and limits as the relay saw them, so the worker can take the
   * endpoint's slot while it loads the delivery (checked against the loaded row; absent on jobs
   * queued by a retry, replay or sweep, which then load first).
   */
  [Jobs.deliverWebhook]: { deliveryId: string; endpoint?: { id: string; maxInFlight: number; rateLimitPerSecond: number | null } };
  [Jobs.purgeWebhooks]: Record<string, never>;
  /** The events themselves: accepted means in Redis, until the worker has stored them. */
  [Jobs.storePixelEvents]: { events: PixelEventRecord[] };
}

/** One accepted pixel event, as the API queues it and the worker stores it. */
export interface PixelEventRecord {
  /** `<the job's id>.<its place in the job>` (px_….12), fixed before the job is added: a job stored twice stores each event once. */
  id: string;
  workspaceId: string;
  event: string;
  url: string;
  referrer: string | null;
  referrerHost: string | null;
  userAgent: string | null;
  sessionId: string | null;
  properties: Record<string, unknown> | null;
  /** ISO 8601, when the API accepted it. */
  occurredAt: string;
}

/** Defaults for every job: a few retries with exponential backoff, bounded history in Redis. */
export const defaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { count: 1000, age: 24 * 3600 },
  removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
} as const;
