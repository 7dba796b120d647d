import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BrowserSessionEntity } from './browser-session.entity';
import { BrowserSessionsRepository } from './browser-sessions.repository';
import { BrowserSessionsService } from './browser-sessions.service';

/**
 * Browser sessions (the session cookie). The guard verifies them (the auth module imports this
 * one); sign-in, listing and sign-out live in the accounts module.
 */
@Module({
  imports: [TypeOrmModule.forFeature([BrowserSessionEntity])],
  providers: [BrowserSessionsRepository, BrowserSessionsService],
  exports: [BrowserSessionsService],
})
export class BrowserSessionsModule {}
