import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

const WINDOW_MS = 5_000;

/**
 * How late the event loop runs: the worst delay over the last few seconds. A loop blocked by
 * synchronous work answers nothing else meanwhile, so readiness reports it.
 */
@Injectable()
export class EventLoopMonitor implements OnModuleInit, OnModuleDestroy {
  private histogram?: IntervalHistogram;
  private timer?: NodeJS.Timeout;
  private lastWindowMaxMs = 0;
  private lastTick = Date.now();

  onModuleInit(): void {
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.timer = setInterval(() => {
      this.lastWindowMaxMs = this.histogram!.max / 1e6;
      this.histogram!.reset();
      this.lastTick = Date.now();
    }, WINDOW_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    this.histogram?.disable();
    clearInterval(this.timer);
  }

  /** Milliseconds: the worst delay of the last window, or how overdue the window itself is. */
  maxDelayMs(): number {
    const overdue = Math.max(0, Date.now() - this.lastTick - WINDOW_MS);
    const current = this.histogram ? this.histogram.max / 1e6 : 0;
    return Math.round(Math.max(this.lastWindowMaxMs, current, overdue));
  }
}
