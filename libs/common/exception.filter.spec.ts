import type { HttpAdapterHost } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
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
});
