import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Queues } from '@tessera/queue';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { MailModule } from '../mail/mail.module';
import { MfaModule } from '../mfa/mfa.module';
import { RolesModule } from '../roles/roles.module';
import { UsersModule } from '../users/users.module';
import { InvitationEntity } from './invitation.entity';
import { MyInvitationsController, WorkspaceInvitationsController } from './invitations.controller';
import { InvitationsRepository } from './invitations.repository';
import { InvitationsService } from './invitations.service';
import { MembersController } from './members.controller';
import { MembersService } from './members.service';
import { MembershipEntity } from './membership.entity';
import { WorkspaceUsersController } from './workspace-users.controller';
import { WorkspaceEntity } from './workspace.entity';
import { WorkspacesController } from './workspaces.controller';
import { WorkspacesRepository } from './workspaces.repository';
import { WorkspacesService } from './workspaces.service';

@Module({
  imports: [TypeOrmModule.forFeature([WorkspaceEntity, MembershipEntity, InvitationEntity]), BullModule.registerQueue({ name: Queues.mail }), UsersModule, RolesModule, EntitlementsModule, MailModule, MfaModule],
  controllers: [WorkspacesController, MembersController, WorkspaceUsersController, WorkspaceInvitationsController, MyInvitationsController],
  providers: [WorkspacesRepository, WorkspacesService, MembersService, InvitationsRepository, InvitationsService],
  exports: [WorkspacesService, MembersService, InvitationsService],
})
export class WorkspacesModule {}
