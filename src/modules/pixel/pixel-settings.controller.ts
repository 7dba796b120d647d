import { Body, Controller, Get, Patch, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentWorkspace, WorkspaceAccess } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { PixelStatsQueryDto, UpdatePixelSettingsDto } from './dto/pixel.dto';
import { PixelSettingsDto, PixelStatsDto } from './pixel.presenter';
import { MAX_BUCKETS, PixelService } from './pixel.service';

/** The workspace's own side of its pixel: settings and stats. */
@ApiTags('Pixel')
@Controller('pixel')
export class PixelSettingsController {
  constructor(private readonly pixel: PixelService) {}

  @Get('settings')
  @ApiOperation({ summary: 'The pixel settings of the current workspace', description: 'With its public key (pk_…), made on first use.' })
  @Authenticated({ scopes: [Scope.WorkspacesRead], workspace: 'header' })
  @Returns(PixelSettingsDto, 'Pixel settings fetched.')
  settings(@CurrentWorkspace() ws: WorkspaceAccess): Promise<PixelSettingsDto> {
    return this.pixel.settings(ws.id);
  }

  @Patch('settings')
  @ApiOperation({
    summary: 'Change the pixel settings of the current workspace',
    description: 'The fields given change; domains and allowed_origins replace their lists. 409 when another workspace holds one of the domains. Takes effect in every API process at once.',
  })
  @Authenticated({ scopes: [Scope.WorkspacesWrite], workspace: 'header' })
  @Audited('pixel.settings.updated', 'pixel')
  @Returns(PixelSettingsDto, 'Pixel settings updated.', { errors: [409, 422] })
  update(@CurrentWorkspace() ws: WorkspaceAccess, @Body() body: UpdatePixelSettingsDto): Promise<PixelSettingsDto> {
    return this.pixel.updateSettings(ws.id, body);
  }

  @Get('stats')
  @ApiOperation({
    summary: 'Pixel stats over a time range',
    description: `[from, to) in buckets of an hour or a day (UTC), at most ${MAX_BUCKETS} buckets: pageviews, other events and unique sessions per bucket and in total, the top URLs and referring hosts by pageviews.`,
  })
  @Authenticated({ scopes: [Scope.WorkspacesRead], workspace: 'header' })
  @Returns(PixelStatsDto, 'Pixel stats fetched.', { errors: [400] })
  stats(@CurrentWorkspace() ws: WorkspaceAccess, @Query() query: PixelStatsQueryDto): Promise<PixelStatsDto> {
    return this.pixel.stats(ws.id, query);
  }
}
