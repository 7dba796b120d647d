import { Body, Controller, Delete, Get, Param, Patch, Post, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { ListParams, ListQuery, ListSpec, Page, RequestLike, Returns } from '@tessera/common';
import { presentBrowserSignIn, SignInDto } from '../accounts/accounts.presenter';
import { Audited } from '../audit/audited.decorator';
import { Authenticated, Public } from '../auth/authenticated.decorator';
import { CurrentPrincipal, Principal, unboundSignedInUserIdOf } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { RouteLimit } from '../rate-limit/route-limit.decorator';
import { BrowserSessionsService } from '../sessions/browser-sessions.service';
import { sessionCookies, writeCookies } from '../sessions/session-cookies';
import { UsersService } from '../users/users.service';
import { CeremonyOptionsDto, PasskeySignInDto, RegisterPasskeyDto, RenamePasskeyDto } from './dto/passkey.dto';
import { PasskeyDto, presentPasskey } from './passkey.presenter';
import { PasskeysService } from './passkeys.service';

const PASSKEY_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'name', 'last_used_at'],
  defaultSort: '-created_at',
  fields: ['id', 'name', 'credential_id', 'device_type', 'backed_up', 'transports', 'last_used_at', 'created_at'],
};

@ApiTags('Passkeys')
@Controller('me/passkeys')
export class MePasskeysController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly users: UsersService,
  ) {}

  @Post('registration-options')
  @ApiOperation({
    summary: 'Start registering a passkey: the options for navigator.credentials.create()',
    description: 'A discoverable credential with user verification; the challenge works once, for 5 minutes. Needs an interactive sign-in (session cookie or login access token) not bound to one workspace: a PAT, an API key, a login that named a workspace and an SSO sign-in get 403 on every /me/passkeys route.',
  })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Returns(CeremonyOptionsDto, 'Registration options created.', { status: 200 })
  async registrationOptions(@CurrentPrincipal() principal: Principal): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return this.passkeys.registrationOptions(await this.users.findById(unboundSignedInUserIdOf(principal)));
  }

  @Post()
  @ApiOperation({ summary: 'Register a passkey with what the authenticator answered', description: '422 when it does not answer a live challenge of yours or does not verify; 409 when it is already registered.' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('passkey.registered', 'passkey')
  @Returns(PasskeyDto, 'Passkey registered.', { status: 201, errors: [409, 422] })
  async register(@CurrentPrincipal() principal: Principal, @Body() body: RegisterPasskeyDto): Promise<PasskeyDto> {
    return presentPasskey(await this.passkeys.register(unboundSignedInUserIdOf(principal), body.response, body.name));
  }

  @Get()
  @ApiOperation({ summary: 'List my passkeys' })
  @Authenticated({ scopes: [Scope.UsersRead] })
  @Returns(PasskeyDto, 'Passkeys fetched.', { list: true })
  async list(@CurrentPrincipal() principal: Principal, @ListParams(PASSKEY_LIST) list: ListQuery): Promise<Page<PasskeyDto>> {
    return (await this.passkeys.list(unboundSignedInUserIdOf(principal), list)).map(presentPasskey);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename one of my passkeys' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('passkey.renamed', 'passkey')
  @Returns(PasskeyDto, 'Passkey renamed.', { errors: [404, 422] })
  async rename(@CurrentPrincipal() principal: Principal, @Param('id') id: string, @Body() body: RenamePasskeyDto): Promise<PasskeyDto> {
    return presentPasskey(await this.passkeys.rename(unboundSignedInUserIdOf(principal), id, body.name));
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Remove one of my passkeys (it no longer signs in)' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('passkey.removed', 'passkey')
  @Returns(null, 'Passkey removed.', { status: 204, errors: [404] })
  async remove(@CurrentPrincipal() principal: Principal, @Param('id') id: string): Promise<void> {
    await this.passkeys.remove(unboundSignedInUserIdOf(principal), id);
  }
}

@ApiTags('Passkeys')
@Controller('auth/passkeys')
export class PasskeySignInController {
  constructor(
    private readonly passkeys: PasskeysService,
    private readonly browserSessions: BrowserSessionsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  @Post('options')
  @Public()
  @RouteLimit({ limit: 30, windowSeconds: 60, by: 'ip' })
  @ApiOperation({ summary: 'Start a passkey sign-in: the options for navigator.credentials.get()', description: 'Names no account: the authenticator offers its discoverable credentials for this site. The challenge works once, for 5 minutes.' })
  @Returns(CeremonyOptionsDto, 'Sign-in options created.', { status: 200 })
  options(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return this.passkeys.authenticationOptions();
  }

  @Post('verify')
  @Public()
  @Audited('auth.passkey.succeeded', 'user', { onFailure: 'auth.passkey.failed' })
  @ApiOperation({
    summary: 'Sign in with a passkey: a browser session',
    description:
      'Sets the session cookies like POST /auth/login with `"session": true`. A passkey is a second factor in itself (possession and user verification): no TOTP step follows. ' +
      '401, the same for every failure (unknown credential, bad signature, used or expired challenge, a signature counter that did not move forward); failures count against the address (429 past 30 a minute).',
  })
  @Returns(SignInDto, 'Signed in.', { status: 200, errors: [401, 422] })
  async verify(@Body() body: PasskeySignInDto, @Req() req: RequestLike, @Res({ passthrough: true }) res: unknown): Promise<SignInDto> {
    const user = await this.passkeys.authenticate(body.response, req);
    const started = await this.browserSessions.start({ userId: user.id, workspaceId: null, method: 'passkey', req });
    writeCookies(this.adapterHost.httpAdapter, res, sessionCookies(req, started.secret, started.csrfToken, started.maxAgeSeconds));
    return presentBrowserSignIn(started, user);
  }
}
