import { Controller, Delete, Post, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, Principal } from '../auth/principal';
import { QUEUES_DASHBOARD_PATH, QUEUES_SESSION_COOKIE, QUEUES_SESSION_SECONDS, QueuesDashboardGate } from './queues-dashboard.gate';

export class QueuesSessionDto {
  @ApiProperty({ example: QUEUES_DASHBOARD_PATH, description: 'Open this path in the same browser.' }) dashboard_path: string;
  @ApiProperty({ type: 'string', format: 'date-time' }) expires_at: string;
}

/** A browser session for the queues dashboard: a browser cannot send a bearer header to a web page. */
@ApiTags('Admin (platform operators)')
@Controller('admin/queues/session')
export class QueuesDashboardController {
  constructor(
    private readonly gate: QueuesDashboardGate,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Open the queues dashboard in this browser',
    description:
      `Sets the ${QUEUES_SESSION_COOKIE} cookie (HttpOnly, SameSite=Strict, Path=${QUEUES_DASHBOARD_PATH}, ${QUEUES_SESSION_SECONDS / 60} minutes; Secure in production): sealed, bound to the operator ` +
      'and their sign-in session, and re-checked on every dashboard request against the operator flag and revocation. Then open /admin/queues. ' +
      'Scripts may instead send their access token to /admin/queues directly (Authorization: Bearer).',
  })
  @Authenticated({ operator: true })
  @Audited('admin.queues.session_opened', 'user')
  @Returns(QueuesSessionDto, 'Queues dashboard session opened.', { status: 200 })
  open(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) res: unknown): QueuesSessionDto {
    const { header, expiresAt } = this.gate.sessionCookie(principal.userId!, principal.credentialId);
    this.adapterHost.httpAdapter.setHeader(res, 'Set-Cookie', header);
    return { dashboard_path: QUEUES_DASHBOARD_PATH, expires_at: expiresAt.toISOString() };
  }

  @Delete()
  @ApiOperation({ summary: 'End the queues dashboard session of this browser' })
  @Authenticated({ operator: true })
  @Returns(null, 'Queues dashboard session ended.', { status: 204 })
  close(@Res({ passthrough: true }) res: unknown): void {
    this.adapterHost.httpAdapter.setHeader(res, 'Set-Cookie', this.gate.clearedCookie());
  }
}
