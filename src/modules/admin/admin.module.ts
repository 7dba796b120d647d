import { Module } from '@nestjs/common';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { WorkspacesModule } from '../workspaces/workspaces.module';
import { AdminController } from './admin.controller';

@Module({
  imports: [WorkspacesModule, EntitlementsModule],
  controllers: [AdminController],
})
export class AdminModule {}
