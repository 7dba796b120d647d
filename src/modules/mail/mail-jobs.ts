import { Injectable } from '@nestjs/common';
import { JobPayloads, MailJob } from '@tessera/queue';

type Handler<N extends MailJob> = (payload: JobPayloads[N]) => Promise<void>;

/**
 * Who writes each mail job's message. The module that owns the data registers its handler (the
 * password reset, the invitation, the e-mail change), so the mail worker needs none of them.
 */
@Injectable()
export class MailJobs {
  private readonly handlers = new Map<MailJob, Handler<MailJob>>();

  handle<N extends MailJob>(name: N, handler: Handler<N>): void {
    if (this.handlers.has(name)) throw new Error(`two handlers for the mail job ${name}`);
    this.handlers.set(name, handler as Handler<MailJob>);
  }

  missing(names: readonly MailJob[]): MailJob[] {
    return names.filter((n) => !this.handlers.has(n));
  }

  run(name: string, payload: unknown): Promise<void> {
    const handler = this.handlers.get(name as MailJob);
    if (!handler) throw new Error(`no handler for the mail job ${name}`);
    return handler(payload as JobPayloads[MailJob]);
  }
}
