import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, Returns } from '@tessera/common';
import { ConfirmEmailDto, UpdateMeDto } from '../users/dto/user.dto';
import { presentUser, UserDto } from '../users/user.presenter';
import { AccountsService } from './accounts.service';
import { UsersService } from '../users/users.service';
import { Authenticated } from '../auth/authenticated.decorator';
import { EmailChangeService } from './email-change.service';
import { CurrentPrincipal, Principal, userIdOf } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { SessionsService } from './sessions.service';

@ApiTags('Me')
@Controller('me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly accounts: AccountsService,
    private readonly sessions: SessionsService,
    private readonly emailChanges: EmailChangeService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in user' })
  @Authenticated({ scopes: [Scope.UsersRead] })
  @Returns(UserDto, 'User fetched.')
  async get(@CurrentPrincipal() principal: Principal): Promise<UserDto> {
    return presentUser(await this.users.findById(userIdOf(principal)));
  }

  @Patch()
  @ApiOperation({
    summary: 'Update my name, password or e-mail',
    description: 'A password change needs current_password and ends every other session. An e-mail change needs current_password and is only applied when the token mailed to the new address is confirmed (POST /me/email/confirm); until then the e-mail stays.',
  })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Returns(UserDto, 'User updated.', { errors: [409, 422, 429, 503] })
  async update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateMeDto): Promise<UserDto> {
    const userId = userIdOf(principal);
    const me = await this.users.findById(userId);
    const newEmail = body.email?.trim().toLowerCase();
    const emailChanges = newEmail !== undefined && newEmail !== me.email;
    if (emailChanges || body.password !== undefined) {
      await this.accounts.verifyCurrentPassword(userId, body.current_password, body.password !== undefined ? 'the password' : 'the e-mail');
    }
    if (emailChanges && (await this.users.findByEmail(newEmail))) throw ApiError.conflict('An account with this e-mail already exists.', { email: ['has already been taken'] });
    if (body.password !== undefined) {
      await this.users.setPassword(userId, body.password);
      await this.sessions.revokeAllForUser(userId, principal.kind === 'user' ? principal.credentialId : undefined);
    } else if (body.current_password !== undefined && !emailChanges) {
      throw ApiError.validation({ current_password: ['is only accepted with password or email'] });
    }
    if (emailChanges) await this.emailChanges.request(userId, newEmail);
    return presentUser(await this.users.updateProfile(userId, { name: body.name }));
  }

  @Post('email/confirm')
  @HttpCode(200)
  @ApiOperation({ summary: 'Confirm my new e-mail with the token mailed to it', description: '422 for an invalid, expired or used token; 409 if the address was taken meanwhile.' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Returns(UserDto, 'E-mail changed.', { errors: [409, 422] })
  async confirmEmail(@CurrentPrincipal() principal: Principal, @Body() body: ConfirmEmailDto): Promise<UserDto> {
    const userId = userIdOf(principal);
    await this.emailChanges.confirm(userId, body.token);
    return presentUser(await this.users.findById(userId));
  }
}
