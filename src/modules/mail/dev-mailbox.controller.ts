import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiError, Returns } from '@tessera/common';
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
  @ApiOperation({ summary: 'E-mail kept instead of sent (no SMTP_URL); only in development and test', description: 'Answers 404 when NODE_ENV is production.' })
  @ApiQuery({ name: 'to', required: false, description: 'Only messages to this address.' })
  @Returns(MailDto, 'Mailbox fetched.', { array: true, errors: [404] })
  async list(@Query('to') to?: string): Promise<MailDto[]> {
    if (this.config.nodeEnv === 'production') throw ApiError.notFound('Route');
    return this.mail.devMailbox(typeof to === 'string' ? to : undefined);
  }
}
