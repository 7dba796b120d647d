import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { createTransport, Transporter } from 'nodemailer';
import { REDIS } from '@tessera/queue';
import { APP_CONFIG, AppConfig } from '../../config/config';

export const DEV_MAILBOX_KEY = 'tessera:dev:mailbox';
const DEV_MAILBOX_SIZE = 200;

export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface StoredMail extends Mail {
  from: string;
  sent_at: string;
}

/** Sends e-mail with nodemailer when SMTP_URL is set; otherwise keeps it in a development mailbox in Redis. */
@Injectable()
export class MailService implements OnModuleDestroy {
  private readonly logger = new Logger(MailService.name);
  private transport?: Transporter;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  async send(mail: Mail): Promise<void> {
    if (this.config.smtpUrl) {
      this.transport ??= createTransport(this.config.smtpUrl);
      await this.transport.sendMail({ from: this.config.mailFrom, ...mail });
      this.logger.log({ subject: mail.subject }, 'e-mail sent');
      return;
    }
    const stored: StoredMail = { ...mail, from: this.config.mailFrom, sent_at: new Date().toISOString() };
    await this.redis.multi().lpush(DEV_MAILBOX_KEY, JSON.stringify(stored)).ltrim(DEV_MAILBOX_KEY, 0, DEV_MAILBOX_SIZE - 1).exec();
  }

  async devMailbox(to?: string): Promise<StoredMail[]> {
    const all = (await this.redis.lrange(DEV_MAILBOX_KEY, 0, -1)).map((m) => JSON.parse(m) as StoredMail);
    return to ? all.filter((m) => m.to.toLowerCase() === to.toLowerCase()) : all;
  }

  onModuleDestroy(): void {
    this.transport?.close();
  }
}
