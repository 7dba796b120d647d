import { Controller, Delete, Get, Param, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ListParams, ListQuery, ListSpec, Page, RequestLike, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, Principal, unboundSignedInUserIdOf } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { BrowserSessionDto, presentBrowserSession } from '../sessions/browser-session.presenter';
import { BrowserSessionsService } from '../sessions/browser-sessions.service';
import { clearedSessionCookies, writeCookies } from '../sessions/session-cookies';
import { SessionsService } from './sessions.service';

const SESSION_LIST: ListSpec = {
  sortable: ['created_at', 'last_seen_at', 'expires_at'],
  defaultSort: '-created_at',
  fields: ['id', 'device', 'user_agent', 'ip', 'auth_method', 'workspace_id', 'created_at', 'last_seen_at', 'expires_at', 'current'],
};

@ApiTags('Sessions')
@Controller('me/sessions')
export class MeSessionsController {
  constructor(
    private readonly browserSessions: BrowserSessionsService,
    private readonly sessions: SessionsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List my browser sessions (device, address, created, last seen, and which one is this request\'s)', description: 'Live sessions only. Needs an interactive sign-in (session cookie or login access token) bound to no workspace: a PAT, an API key, a login that named a workspace and an SSO sign-in get 403 on every /me/sessions route.' })
  @Authenticated({ scopes: [Scope.UsersRead] })
  @Returns(BrowserSessionDto, 'Sessions fetched.', { list: true })
  async list(@CurrentPrincipal() principal: Principal, @ListParams(SESSION_LIST) list: ListQuery): Promise<Page<BrowserSessionDto>> {
    const current = principal.viaSessionCookie ? principal.credentialId : null;
    return (await this.browserSessions.list(unboundSignedInUserIdOf(principal), list)).map((s) => presentBrowserSession(s, current));
  }

  @Delete()
  @ApiOperation({ summary: 'Sign out everywhere else: end every other browser session and every token sign-in (refresh tokens) but this request\'s own' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('auth.sessions.revoked_others', 'user')
  @Returns(null, 'Other sessions ended.', { status: 204 })
  async revokeOthers(@CurrentPrincipal() principal: Principal): Promise<void> {
    await this.sessions.revokeAllForUser(unboundSignedInUserIdOf(principal), principal.credentialId);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'End one of my browser sessions (this request\'s own too: then its cookies are cleared)' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('auth.session.revoked', 'session')
  @Returns(null, 'Session ended.', { status: 204, errors: [404] })
  async revoke(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Req() req: RequestLike, @Res({ passthrough: true }) res: unknown): Promise<void> {
    await this.browserSessions.revoke(unboundSignedInUserIdOf(principal), id);
    if (principal.viaSessionCookie && principal.credentialId === id) writeCookies(this.adapterHost.httpAdapter, res, clearedSessionCookies(req));
  }
}
