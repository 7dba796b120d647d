import { CallHandler, ExecutionContext } from '@nestjs/common';
import { lastValueFrom, map, Observable, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { OWN_PROTOCOL_METADATA } from '@tessera/common';
import { RequestPipelineInterceptor } from './request-pipeline.interceptor';

function layer(name: string, calls: string[]) {
  return {
    intercept: (_: ExecutionContext, next: CallHandler): Observable<unknown> => {
      calls.push(name);
      return next.handle().pipe(map((v) => `${name}(${String(v)})`));
    },
  };
}

function setup(method: string, ownProtocol = false) {
  const calls: string[] = [];
  const reflector = { get: (key: string) => (key === OWN_PROTOCOL_METADATA ? ownProtocol : undefined) };
  const sut = new RequestPipelineInterceptor(reflector as never, layer('idempotency', calls) as never, layer('envelope', calls) as never, layer('audit', calls) as never, layer('meter', calls) as never);
  const context = { getType: () => 'http', getHandler: () => setup, switchToHttp: () => ({ getRequest: () => ({ method }) }) } as unknown as ExecutionContext;
  return { calls, run: () => lastValueFrom(sut.intercept(context, { handle: () => of('handler') })) };
}

describe(RequestPipelineInterceptor.name, () => {
  it('should run a read through the envelope and the meter only', async () => {
    const { calls, run } = setup('GET');
    expect(await run()).toBe('envelope(meter(handler))');
    expect(calls).toEqual(['envelope', 'meter']);
  });

  it('should run a write through idempotency, envelope, audit and meter, outermost first', async () => {
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const { calls, run } = setup(method);
      expect(await run()).toBe('idempotency(envelope(audit(meter(handler))))');
      expect(calls).toEqual(['idempotency', 'envelope', 'audit', 'meter']);
    }
  });

  it('should only meter a write to a route that speaks its own protocol (no envelope, no idempotency replay, no per-request audit row)', async () => {
    const { calls, run } = setup('POST', true);
    expect(await run()).toBe('meter(handler)');
    expect(calls).toEqual(['meter']);
  });
});
