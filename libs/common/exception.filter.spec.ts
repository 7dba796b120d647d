import type { HttpAdapterHost } from '@nestjs/core';
import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { ApiExceptionFilter } from './exception.filter';

describe(ApiExceptionFilter.name, () => {
  const sut = new ApiExceptionFilter({ httpAdapter: { getRequestMethod: () => 'POST', getRequestUrl: () => '/api/v1/roles' } } as unknown as HttpAdapterHost);
  const req = { id: 'req_1', method: 'POST', headers: {} };

  it('should answer text PostgreSQL cannot store with 400, not 500', () => {
    for (const code of ['22021', '22P05']) {
      const { status, body } = sut.answer({ driverError: { code } }, req);
      expect(status, code).toBe(400);
      expect(body).toMatchObject({ success: false, code: 'BAD_REQUEST', data: null });
    }
  });

  it('logs an unhandled error by its kind, message, code and stack, never the statement parameters a driver error carries', () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const err = Object.assign(new Error('relation "x" does not exist'), { name: 'QueryFailedError', query: 'SELECT $1', parameters: ['alice@example.test', 'sk_live_secret'], driverError: { code: '42P01' } });
      expect(sut.answer(err, req).status).toBe(500);
      const [fields] = logged.mock.calls[0] as [Record<string, unknown>];
      expect(fields.err).toMatchObject({ type: 'QueryFailedError', message: 'relation "x" does not exist', code: '42P01' });
      expect(JSON.stringify(fields)).not.toMatch(/alice@example|sk_live_secret|SELECT/);
    } finally {
      logged.mockRestore();
    }
  });

  it('a connection reset is the database (503) while the client is there, and the client leaving (4xx, nothing logged) once its socket is gone', () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
      expect(sut.answer(reset, { ...req, socket: { destroyed: false } } as never).status).toBe(503);
      expect(logged).toHaveBeenCalledTimes(1);
      const gone = sut.answer(reset, { ...req, raw: { ...req, socket: { destroyed: true } } } as never);
      expect(gone.status).toBe(400);
      expect(gone.body).toMatchObject({ code: 'BAD_REQUEST' });
      expect(logged).toHaveBeenCalledTimes(1);
    } finally {
      logged.mockRestore();
    }
  });
});
