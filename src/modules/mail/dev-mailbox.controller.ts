import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiError, isLoopbackAddress, Returns } from '@tessera/common';
import { APP_CONFIG, AppConfig } from '../../config/config';
import { Public } from '../auth/authenticated.decorator';
import { MailService } from './mail.service';

export class MailDto {
  @ApiProperty() to: string;
  @ApiProperty() from: string;
  @ApiProperty() subject: string;
  @ApiProperty() text: string;
  @ApiProperty({ format: 'date-time' }) sent_at: string;
}

@ApiTags('Development')
@Controller('dev/mailbox')
export class DevMailboxController {
  constructor(
    private readonly mail: MailService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: 'E-mail kept instead of sent (no SMTP_URL); only in development and test, only to this machine',
    description: 'Answers 404 when NODE_ENV is production or the client is not on a loopback address (the socket address counts, not X-Forwarded-For).',
  })
  @ApiQuery({ name: 'to', required: false, description: 'Only messages to this address.' })
  @Returns(MailDto, 'Mailbox fetched.', { array: true, errors: [404] })
  async list(@Req() req: { socket?: { remoteAddress?: string } }, @Query('to') to?: string): Promise<MailDto[]> {
    // Reset tokens sit in this mailbox: a development server reachable from the network must not hand them out.
    if (this.config.nodeEnv === 'production' || !isLoopbackAddress(req.socket?.remoteAddress)) throw ApiError.notFound('Route');
    return this.mail.devMailbox(typeof to === 'string' ? to : undefined);
  }
}
