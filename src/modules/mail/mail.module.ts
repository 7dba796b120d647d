import { Module } from '@nestjs/common';
import { DevMailboxController } from './dev-mailbox.controller';
import { MailJobs } from './mail-jobs';
import { MailService } from './mail.service';

@Module({
  controllers: [DevMailboxController],
  providers: [MailService, MailJobs],
  exports: [MailService, MailJobs],
})
export class MailModule {}
