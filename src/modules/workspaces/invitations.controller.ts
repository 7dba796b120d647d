import { Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiError, isId, ListParams, ListQuery, ListSpec, Page, Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, CurrentWorkspace, Principal, unboundUserIdOf, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { InvitationsService } from './invitations.service';
import { InvitationDto, MemberDto, presentInvitation, presentMember } from './workspace.presenter';

const INVITATION_LIST: ListSpec = {
  sortable: ['created_at', 'expires_at', 'role'],
  defaultSort: 'created_at',
  fields: ['id', 'workspace_id', 'workspace_name', 'email', 'role', 'status', 'expires_at', 'invited_by', 'created_at'],
  filters: { role: null },
};

/** An invitation id from the path; one of the wrong shape cannot exist. */
function invitationIdParam(id: string): string {
  if (!isId('inv', id)) throw ApiError.notFound('Invitation');
  return id;
}

@ApiTags('Members')
@Controller('workspaces/:id/invitations')
export class WorkspaceInvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Get()
  @ApiOperation({ summary: "List a workspace's pending invitations" })
  @Authenticated({ scopes: [Scope.MembersRead], workspace: { param: 'id' } })
  @Returns(InvitationDto, 'Invitations fetched.', { list: true })
  async list(@CurrentWorkspace() ws: WorkspaceAccess, @ListParams(INVITATION_LIST) list: ListQuery): Promise<Page<InvitationDto>> {
    return (await this.invitations.listForWorkspace(ws.id, list)).map(presentInvitation);
  }

  // members:write, like the invitation itself: whoever may invite may take an invitation back.
  @Delete(':invitation_id')
  @ApiOperation({ summary: 'Withdraw a pending invitation', description: 'Needs members:write, the scope that sent it, and the power to grant its role (403 otherwise).' })
  @Authenticated({ scopes: [Scope.MembersWrite], workspace: { param: 'id' } })
  @Audited('member.invitation_withdrawn', 'invitation')
  @Returns(null, 'Invitation withdrawn.', { status: 204, errors: [403, 404] })
  async withdraw(@CurrentPrincipal() principal: Principal, @Param('invitation_id') id: string): Promise<void> {
    await this.invitations.withdraw(principal, invitationIdParam(id));
  }
}

@ApiTags('Me')
@Controller('me/invitations')
export class MyInvitationsController {
  constructor(private readonly invitations: InvitationsService) {}

  @Get()
  @ApiOperation({ summary: 'My pending invitations' })
  @Authenticated({ scopes: [Scope.UsersRead] })
  @Returns(InvitationDto, 'Invitations fetched.', { list: true })
  async list(@CurrentPrincipal() principal: Principal, @ListParams(INVITATION_LIST) list: ListQuery): Promise<Page<InvitationDto>> {
    return (await this.invitations.listForUser(unboundUserIdOf(principal), list)).map(presentInvitation);
  }

  @Post(':invitation_id/accept')
  @HttpCode(200)
  @ApiOperation({ summary: 'Accept an invitation: join the workspace', description: '409 when it was answered, withdrawn or has expired; 403 FEATURE_LIMIT_REACHED when the workspace is full.' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('member.invitation_accepted', 'invitation')
  @Returns(MemberDto, 'Invitation accepted.', { errors: [403, 404, 409] })
  async accept(@CurrentPrincipal() principal: Principal, @Param('invitation_id') id: string): Promise<MemberDto> {
    return presentMember(await this.invitations.accept(unboundUserIdOf(principal), invitationIdParam(id)));
  }

  @Post(':invitation_id/decline')
  @ApiOperation({ summary: 'Decline an invitation' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('member.invitation_declined', 'invitation')
  @Returns(null, 'Invitation declined.', { status: 204, errors: [404, 409] })
  async decline(@CurrentPrincipal() principal: Principal, @Param('invitation_id') id: string): Promise<void> {
    await this.invitations.decline(unboundUserIdOf(principal), invitationIdParam(id));
  }
}
