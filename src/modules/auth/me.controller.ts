import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, Returns } from '@tessera/common';
import { UpdateMeDto } from '../users/dto/user.dto';
import { presentUser, UserDto } from '../users/user.presenter';
import { UsersService } from '../users/users.service';
import { Authenticated } from './authenticated.decorator';
import { CurrentPrincipal, Principal, userIdOf } from './principal';
import { Scope } from './scopes';
import { SessionsService } from './sessions.service';

@ApiTags('Me')
@Controller('me')
export class MeController {
  constructor(
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'The signed-in user' })
  @Authenticated({ scopes: [Scope.UsersRead] })
  @Returns(UserDto, 'User fetched.')
  async get(@CurrentPrincipal() principal: Principal): Promise<UserDto> {
    return presentUser(await this.users.findById(userIdOf(principal)));
  }

  @Patch()
  @ApiOperation({ summary: 'Update my name or password', description: 'A password change needs current_password and ends every other session.' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Returns(UserDto, 'User updated.', { errors: [422] })
  async update(@CurrentPrincipal() principal: Principal, @Body() body: UpdateMeDto): Promise<UserDto> {
    const userId = userIdOf(principal);
    if (body.password !== undefined) {
      await this.users.changePassword(userId, body.current_password, body.password);
      await this.sessions.revokeAllForUser(userId, principal.kind === 'user' ? principal.credentialId : undefined);
    } else if (body.current_password !== undefined) {
      throw ApiError.validation({ current_password: ['is only accepted with password'] });
    }
    return presentUser(await this.users.updateProfile(userId, { name: body.name }));
  }

}
