import { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, map, Observable, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RequestPipelineInterceptor } from './request-pipeline';

function layer(name: string, calls: string[]) {
  return {
    intercept: (_: ExecutionContext, next: CallHandler): Observable<unknown> => {
      calls.push(name);
      return next.handle().pipe(map((v) => `${name}(${String(v)})`));
    },
  };
}

describe(RequestPipelineInterceptor.name, () => {
  it('should run a write through idempotency, envelope and audit, outermost first', async () => {
    const calls: string[] = [];
    const sut = new RequestPipelineInterceptor(layer('idempotency', calls) as never, layer('envelope', calls) as never, layer('audit', calls) as never);
    const context = { getType: () => 'http', switchToHttp: () => ({ getRequest: () => ({ method: 'POST' }) }) } as unknown as ExecutionContext;
    expect(await lastValueFrom(sut.intercept(context, { handle: () => of('handler') }))).toBe('idempotency(envelope(audit(handler)))');
    expect(calls).toEqual(['idempotency', 'envelope', 'audit']);
  });
});
