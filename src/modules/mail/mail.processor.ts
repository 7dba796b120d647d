import { Processor, WorkerHost } from '@nestjs/bullmq';
import { OnApplicationBootstrap } from '@nestjs/common';
import { Job } from 'bullmq';
import { MAIL_JOBS, Queues } from '@tessera/queue';
import { MailJobs } from './mail-jobs';

/** The mail queue's worker: each job goes to the handler its owning module registered. */
@Processor(Queues.mail)
export class MailProcessor extends WorkerHost implements OnApplicationBootstrap {
  constructor(private readonly jobs: MailJobs) {
    super();
  }

  /** The worker refuses to start with a mail job nobody handles. */
  onApplicationBootstrap(): void {
    const missing = this.jobs.missing(MAIL_JOBS);
    if (missing.length) throw new Error(`no handler for the mail jobs ${missing.join(', ')}`);
  }

  process(job: Job): Promise<void> {
    return this.jobs.run(job.name, job.data);
  }
}
