import { Body, Controller, Delete, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, isId, ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, CurrentWorkspace, Principal, WorkspaceAccess } from '../auth/principal';
import { BUILT_IN_ROLES } from '../auth/roles';
import { Scope } from '../auth/scopes';
import { AddMemberDto, UpdateMemberDto } from './dto/member.dto';
import { InvitationsService } from './invitations.service';
import { MembersService } from './members.service';
import { InvitationDto, MemberDto, presentInvitation, presentMember } from './workspace.presenter';

export const MEMBER_LIST: ListSpec = {
  sortable: ['created_at', 'updated_at', 'role'],
  defaultSort: 'created_at',
  fields: ['user_id', 'workspace_id', 'name', 'email', 'role', 'created_at', 'updated_at'],
  filters: { role: null },
  searchable: true,
  updatable: true,
};

/** A user id from the path; one of the wrong shape cannot exist, so it is a 404 at once. */
export function userIdParam(id: string): string {
  if (!isId('usr', id)) throw ApiError.notFound('Member');
  return id;
}

@ApiTags('Members')
@Controller('workspaces/:id/members')
export class MembersController {
  constructor(
    private readonly members: MembersService,
    private readonly invitations: InvitationsService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'List the members of a workspace' })
  @Authenticated({ scopes: [Scope.MembersRead], workspace: { param: 'id' } })
  @Returns(MemberDto, 'Members fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(MEMBER_LIST) list: ListQuery): Promise<Page<MemberDto>> {
    return (await this.members.list(ws.id, list)).map(presentMember);
  }

  @Post()
  @ApiOperation({
    summary: 'Invite an existing account',
    description: `Makes a pending invitation (valid 7 days) and mails it; the account becomes a member when it accepts (POST /me/invitations/{id}/accept). Roles: ${BUILT_IN_ROLES.join(', ')} or a custom role, never beyond the caller's own permissions; only an owner grants owner. 409 if the account is already a member or invited.`,
  })
  @Authenticated({ scopes: [Scope.MembersWrite], workspace: { param: 'id' } })
  @Audited('member.invited', 'invitation')
  @Returns(InvitationDto, 'Invitation sent.', { status: 201, errors: [403, 409, 422] })
  async add(@CurrentPrincipal() principal: Principal, @Body() body: AddMemberDto): Promise<InvitationDto> {
    return presentInvitation(await this.invitations.invite(principal, body.email, body.role));
  }

  @Patch(':user_id')
  @ApiOperation({ summary: "Change a member's role" })
  @Authenticated({ scopes: [Scope.MembersWrite], workspace: { param: 'id' } })
  @Audited('member.role_changed', 'user')
  @Returns(MemberDto, 'Member updated.', { errors: [403, 409, 422] })
  async update(@CurrentPrincipal() principal: Principal, @Param('user_id') userId: string, @Body() body: UpdateMemberDto): Promise<MemberDto> {
    return presentMember(await this.members.changeRole(principal, userIdParam(userId), body.role));
  }

  @Delete(':user_id')
  @ApiOperation({ summary: 'Remove a member from the workspace' })
  @Authenticated({ scopes: [Scope.MembersDelete], workspace: { param: 'id' } })
  @Audited('member.removed', 'user')
  @Returns(null, 'Member removed.', { status: 204, errors: [403, 409] })
  async remove(@CurrentPrincipal() principal: Principal, @Param('user_id') userId: string): Promise<void> {
    await this.members.remove(principal, userIdParam(userId));
  }
}
