import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { SeoIssueEntity, SeoReportEntity } from './seo-report.entity';
import { SeoController } from './seo.controller';
import { SeoRepository } from './seo.repository';
import { SeoService } from './seo.service';

/** SEO reports (scopes seo:*). SeoService.submit is the entry point for callers outside HTTP (the MCP tool). */
@Module({
  imports: [TypeOrmModule.forFeature([SeoReportEntity, SeoIssueEntity]), EntitlementsModule],
  controllers: [SeoController],
  providers: [SeoRepository, SeoService],
  exports: [SeoService],
})
export class SeoModule {}
