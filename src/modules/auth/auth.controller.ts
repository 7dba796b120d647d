import { Body, Controller, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors, Returns } from '@tessera/common';
import { presentUser } from '../users/user.presenter';
import { presentWorkspace } from '../workspaces/workspace.presenter';
import { AuthService } from './auth.service';
import { Authenticated, Public } from './authenticated.decorator';
import { RegistrationDto, TokenPairDto } from './auth.presenter';
import { LoginDto, RefreshDto, RegisterDto } from './dto/auth.dto';
import { CurrentPrincipal, Principal } from './principal';
import { SessionsService } from './sessions.service';

@ApiTags('Auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly sessions: SessionsService,
  ) {}

  @Post('register')
  @Public()
  @ApiOperation({ summary: 'Create an account, its first workspace and a session' })
  @Returns(RegistrationDto, 'Account created.', { status: 201, errors: [409, 422] })
  async register(@Body() body: RegisterDto): Promise<RegistrationDto> {
    const { user, workspace, pair } = await this.auth.register(body);
    return { ...pair, user: presentUser(user), workspace: presentWorkspace(workspace, 'owner') };
  }

  @Post('login')
  @Public()
  @ApiOperation({ summary: 'Sign in with e-mail and password', description: 'With `workspace`, the access token is bound to that workspace.' })
  @Returns(TokenPairDto, 'Signed in.', { status: 200, errors: [401, 404, 422] })
  async login(@Body() body: LoginDto): Promise<TokenPairDto> {
    const { user, pair } = await this.auth.login(body);
    return { ...pair, user: presentUser(user) };
  }

  @Post('refresh')
  @Public()
  @ApiOperation({ summary: 'Exchange a refresh token for a new pair (the old one stops working)', description: 'Presenting a refresh token that was already rotated revokes the whole session.' })
  @Returns(TokenPairDto, 'Tokens refreshed.', { status: 200, errors: [401, 422] })
  async refresh(@Body() body: RefreshDto): Promise<TokenPairDto> {
    const { user, pair } = await this.auth.refresh(body.refresh_token);
    return { ...pair, user: presentUser(user) };
  }

  @Post('logout')
  @ApiOperation({ summary: 'End the current session (its refresh and access tokens stop working)' })
  @Authenticated()
  @Returns(null, 'Signed out.', { status: 204 })
  @ApiErrors(401)
  async logout(@CurrentPrincipal() principal: Principal): Promise<void> {
    if (principal.kind === 'user') await this.sessions.revokeFamily(principal.credentialId);
  }
}
