import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ApiExceptionFilter } from '@tessera/common';
import { EntitlementsModule } from '../entitlements/entitlements.module';
import { PostsModule } from '../posts/posts.module';
import { SeoModule } from '../seo/seo.module';
import { WebhooksModule } from '../webhooks/webhooks.module';
import { McpGatewayController } from './mcp-gateway.controller';
import { McpGatewayService } from './mcp-gateway.service';
import { McpServerController } from './mcp-server.controller';
import { McpServerEntity } from './mcp-server.entity';
import { McpServersRepository } from './mcp-servers.repository';
import { McpServersService } from './mcp-servers.service';
import { RemoteMcpClient } from './remote-mcp-client';
import { TesseraMcpServer } from './tessera-mcp-server';
import { TesseraResources } from './tessera-resources';
import { TesseraTools } from './tessera-tools';

/**
 * MCP: Tessera as an MCP server at /mcp (its own tools and records), and the gateway under
 * /api/v1/mcp to it and to the remote servers a workspace registers. The bootstrap keeps /mcp
 * out of the /api/v1 prefix.
 */
@Module({
  imports: [TypeOrmModule.forFeature([McpServerEntity]), PostsModule, WebhooksModule, EntitlementsModule, SeoModule],
  controllers: [McpServerController, McpGatewayController],
  providers: [
    McpServersRepository,
    McpServersService,
    TesseraTools,
    TesseraResources,
    TesseraMcpServer,
    RemoteMcpClient,
    McpGatewayService,
    // Renders a tool's failure as the envelope would (status, code, message; nothing internal).
    ApiExceptionFilter,
  ],
})
export class McpModule {}
