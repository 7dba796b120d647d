import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { SkipRateLimit } from '../rate-limit/route-limit.decorator';
import Redis from 'ioredis';
import { Returns } from '@tessera/common';
import { Database } from '@tessera/database';
import { REDIS } from '@tessera/queue';
import { EventLoopMonitor } from './event-loop.monitor';
import { Public } from '../auth/authenticated.decorator';
import { rateLimitMetrics } from '../rate-limit/rate-limit.metrics';

/** An event loop that was blocked this long answered nothing else meanwhile. */
const MAX_LOOP_DELAY_MS = 1_000;

export class HealthDto {
  @ApiProperty({ example: 'ok', enum: ['ok', 'degraded', 'error'] }) status: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { database: { status: 'up' }, redis: { status: 'up' } } })
  checks?: Record<string, unknown>;
}

@ApiTags('Health')
// Load balancers and orchestrators probe these often, from one address: never rate limited.
@SkipRateLimit('tier', 'route')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @Inject(REDIS) private readonly redis: Redis,
    private readonly database: Database,
    private readonly loop: EventLoopMonitor,
  ) {}

  @Get()
  @Public()
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @Returns(HealthDto, 'Alive.')
  live(): HealthDto {
    return { status: 'ok', checks: { rate_limit_fail_open_total: rateLimitMetrics.failOpen } };
  }

  @Get('ready')
  @Public()
  @ApiOperation({
    summary: 'Readiness: PostgreSQL and Redis answer, the connection pool is not saturated, the event loop is not stuck',
    description: `503 SERVICE_UNAVAILABLE, in the error envelope, when PostgreSQL or Redis does not answer, when as many queries wait for a connection as the pool holds, or when the event loop was blocked for more than ${MAX_LOOP_DELAY_MS} ms.`,
  })
  @Returns(HealthDto, 'Ready.', { errors: [503] })
  async ready(): Promise<HealthDto> {
    const result = await this.health.check([
      () => this.db.pingCheck('database', { timeout: 1500 }),
      async () => {
        const check = this.indicators.check('redis');
        try {
          await Promise.race([this.redis.ping(), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 1500))]);
          return check.up();
        } catch (err) {
          return check.down({ message: err instanceof Error ? err.message : 'unreachable' });
        }
      },
      () => {
        const pool = this.database.poolStats();
        const check = this.indicators.check('database_pool');
        return pool.waiting >= Math.max(1, pool.max) ? check.down({ ...pool, message: 'saturated' }) : check.up(pool);
      },
      () => {
        const maxDelayMs = this.loop.maxDelayMs();
        const check = this.indicators.check('event_loop');
        return maxDelayMs > MAX_LOOP_DELAY_MS ? check.down({ max_delay_ms: maxDelayMs, message: 'blocked' }) : check.up({ max_delay_ms: maxDelayMs });
      },
    ]);
    return { status: result.status, checks: result.details };
  }
}
