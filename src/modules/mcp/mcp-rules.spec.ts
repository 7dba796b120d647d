import { describe, expect, it } from 'vitest';
import { mcpHeadersProblem, mcpServerNameProblem, resourceUriOf } from './mcp-rules';

describe('mcpHeadersProblem', () => {
  it('should accept credentials, which is what a remote server’s headers are for', () => {
    expect(mcpHeadersProblem({ Authorization: 'Bearer abc', Cookie: 'a=b', 'X-Api-Key': 'k' })).toBeNull();
  });

  it('should refuse the headers the transport owns, injection, and more than 10', () => {
    for (const name of ['Host', 'Content-Type', 'Accept', 'Mcp-Session-Id', 'mcp-protocol-version', 'Last-Event-ID', 'Transfer-Encoding', 'Proxy-Authorization', 'X-Forwarded-For', 'Sec-Fetch-Mode', 'User-Agent']) {
      expect(mcpHeadersProblem({ [name]: 'x' }), name).toBe(`header "${name}" is reserved and cannot be set`);
    }
    expect(mcpHeadersProblem({ 'X-A': 'a\r\nX-B: b' })).toMatch(/printable ASCII/);
    expect(mcpHeadersProblem({ 'Bad Name': 'x' })).toMatch(/HTTP token/);
    expect(mcpHeadersProblem({ 'X-A': 'a', 'x-a': 'b' })).toBe('header "x-a" is given twice');
    expect(mcpHeadersProblem(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`X-${i}`, 'v'])))).toBe('headers may hold at most 10 headers');
    expect(mcpHeadersProblem(['Authorization'])).toBe('headers must be an object of header name to value');
  });
});

describe('mcpServerNameProblem', () => {
  it('should take a lowercase slug and refuse the built-in server’s name', () => {
    expect(mcpServerNameProblem('filesystem')).toBeNull();
    expect(mcpServerNameProblem('my_server-2')).toBeNull();
    expect(mcpServerNameProblem('tessera')).toBe('"tessera" is the built-in server\'s name');
    for (const bad of ['', 'Upper', '-dash', 'a'.repeat(41), 'with space', 'mcp/../x', 7]) expect(mcpServerNameProblem(bad), String(bad)).not.toBeNull();
  });
});

describe('resourceUriOf', () => {
  it('should read the URI after /mcp/resources/ from the request target, slashes kept, decoded once, without the query', () => {
    expect(resourceUriOf('/api/v1/mcp/resources/tessera://posts/pst_1?server=tessera')).toBe('tessera://posts/pst_1');
    expect(resourceUriOf('/api/v1/mcp/resources/tessera%3A%2F%2Fposts%2Fpst_1')).toBe('tessera://posts/pst_1');
    expect(resourceUriOf('/api/v1/mcp/resources/a%252Fb')).toBe('a%2Fb');
    expect(resourceUriOf('/api/v1/mcp/resources/file:///etc/passwd')).toBe('file:///etc/passwd');
  });

  it('should refuse malformed percent-encoding, an empty URI and one past 2048 characters (400)', () => {
    for (const target of ['/api/v1/mcp/resources/%E0%A4%A', '/api/v1/mcp/resources/', `/api/v1/mcp/resources/${'x'.repeat(2049)}`]) {
      expect(() => resourceUriOf(target), target.slice(0, 40)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    }
  });
});
