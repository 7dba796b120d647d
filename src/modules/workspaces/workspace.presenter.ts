import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { TIERS } from '../auth/principal';
import { InvitationEntity, InvitationStatus } from './invitation.entity';
import { MembershipEntity } from './membership.entity';
import { WorkspaceEntity } from './workspace.entity';

export class WorkspaceSettingsView {
  @ApiProperty({ example: 'UTC' }) timezone: string;
  @ApiProperty({ example: 'en' }) locale: string;
}

export class WorkspaceDto {
  @ApiProperty({ example: 'ws_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'Acme' }) name: string;
  @ApiProperty({ example: 'acme' }) slug: string;
  @ApiProperty({ enum: TIERS }) tier: string;
  @ApiProperty({ type: WorkspaceSettingsView }) settings: WorkspaceSettingsView;
  @ApiProperty({ description: 'Members without TOTP get 403 MFA_REQUIRED in this workspace (set by owners).' }) require_mfa: boolean;
  @ApiPropertyOptional({ description: "The caller's role in it.", example: 'owner' }) role?: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class MemberDto {
  @ApiProperty() user_id: string;
  @ApiProperty() workspace_id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty({ example: 'member' }) role: string;
  @ApiProperty({ format: 'date-time', description: 'When the user joined.' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class WorkspaceUserDto {
  @ApiProperty({ example: 'usr_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'email' }) email: string;
  @ApiProperty({ example: 'member', description: 'Role in the current workspace.' }) role: string;
  @ApiProperty({ format: 'date-time', description: 'When the user joined this workspace.' }) joined_at: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

const INVITATION_STATUSES: readonly InvitationStatus[] = ['pending', 'accepted', 'declined', 'withdrawn', 'expired'];

export class InvitationDto {
  @ApiProperty({ example: 'inv_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty() workspace_id: string;
  @ApiPropertyOptional({ description: 'The workspace name (on the invitee\'s own list).', example: 'Acme' }) workspace_name?: string;
  @ApiProperty({ format: 'email', description: 'The invited account.' }) email: string;
  @ApiProperty({ example: 'member' }) role: string;
  @ApiProperty({ enum: INVITATION_STATUSES, description: 'A pending invitation past expires_at reads expired.' }) status: InvitationStatus;
  @ApiProperty({ format: 'date-time', description: 'Seven days after it was sent.' }) expires_at: string;
  @ApiProperty({ nullable: true, type: String, description: 'The user who invited (null for an API key).' }) invited_by: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
}

export function presentInvitation(i: InvitationEntity): InvitationDto {
  const expired = i.status === 'pending' && i.expiresAt.getTime() <= Date.now();
  return {
    id: i.id,
    workspace_id: i.workspaceId,
    ...(i.workspace ? { workspace_name: i.workspace.name } : {}),
    email: i.email,
    role: i.role,
    status: expired ? 'expired' : i.status,
    expires_at: i.expiresAt.toISOString(),
    invited_by: i.invitedBy,
    created_at: i.createdAt.toISOString(),
  };
}

export function presentWorkspace(w: WorkspaceEntity, role?: string | null): WorkspaceDto {
  return {
    id: w.id,
    name: w.name,
    slug: w.slug,
    tier: w.tier,
    settings: { timezone: w.settings.timezone ?? 'UTC', locale: w.settings.locale ?? 'en' },
    require_mfa: w.requireMfa ?? false,
    ...(role ? { role } : {}),
    created_at: w.createdAt.toISOString(),
    updated_at: w.updatedAt.toISOString(),
  };
}

export function presentMember(m: MembershipEntity): MemberDto {
  return {
    user_id: m.userId,
    workspace_id: m.workspaceId,
    name: m.user!.name,
    email: m.user!.email,
    role: m.role,
    created_at: m.createdAt.toISOString(),
    updated_at: m.updatedAt.toISOString(),
  };
}

export function presentWorkspaceUser(m: MembershipEntity): WorkspaceUserDto {
  const u = m.user!;
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    role: m.role,
    joined_at: m.createdAt.toISOString(),
    created_at: u.createdAt.toISOString(),
    updated_at: u.updatedAt.toISOString(),
  };
}
