import { describe, expect, it } from 'vitest';
import { isPublicAddress, webhookUrlProblem } from './public-url';

describe(isPublicAddress.name, () => {
  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '64:ff9b::808:808', '2002:0808:0808::1', '::ffff:8.8.8.8'])(
    'should accept the public address %s',
    (a) => expect(isPublicAddress(a)).toBe(true),
  );

  it.each([
    '127.0.0.1', '127.1.2.3', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '169.254.0.1',
    '100.64.0.1', '100.127.255.255', '0.0.0.0', '0.1.2.3', '224.0.0.1', '239.255.255.250', '240.0.0.1', '255.255.255.255',
    '192.0.2.1', '198.18.0.1', '203.0.113.5',
    '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'fe80::1%eth0', 'ff02::1', 'fec0::1',
    '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:169.254.169.254', '0:0:0:0:0:ffff:c0a8:0101',
    '64:ff9b::127.0.0.1', '64:ff9b::a9fe:a9fe', '64:ff9b:1::1',
    '2002:7f00:0001::1', '2002:c0a8:0101::', '2002:a9fe:a9fe::1',
    '::127.0.0.1', '::8.8.8.8', '2001:db8::1', '2001::1', '100::1',
    'not-an-ip', '', '1:2:3:4:5:6:7:8:9', '1::2::3',
  ])('should refuse %j', (a) => expect(isPublicAddress(a)).toBe(false));
});

describe(webhookUrlProblem.name, () => {
  const strict = (answers: Record<string, string[]>) => ({
    allowPrivate: false,
    resolve: async (host: string) => {
      if (!answers[host]) throw new Error('ENOTFOUND');
      return answers[host].map((address) => ({ address }));
    },
  });

  it('should accept an https URL whose every address is public', async () => {
    expect(await webhookUrlProblem('https://hooks.example.com/in?x=1', strict({ 'hooks.example.com': ['93.184.216.34', '2606:2800:220:1::1'] }))).toBeNull();
    expect(await webhookUrlProblem('https://8.8.8.8:8443/hook', strict({}))).toBeNull();
  });

  it('should refuse a host with any private address among its answers', async () => {
    expect(await webhookUrlProblem('https://mixed.example.com/', strict({ 'mixed.example.com': ['93.184.216.34', '10.0.0.5'] }))).toMatch(/public addresses/);
    expect(await webhookUrlProblem('https://v6.example.com/', strict({ 'v6.example.com': ['::ffff:127.0.0.1'] }))).toMatch(/public addresses/);
  });

  it.each([
    ['http://hooks.example.com/', /https/],
    ['ftp://hooks.example.com/', /https/],
    ['not a url', /absolute URL/],
    ['https://user:pass@hooks.example.com/', /credentials/],
    ['https://169.254.169.254/latest/meta-data', /public addresses/],
    ['https://[::ffff:127.0.0.1]/', /public addresses/],
    ['https://[::1]:8443/', /public addresses/],
    ['https://0x7f.1/', /public addresses/],
    ['https://2130706433/', /public addresses/],
    ['https://[64:ff9b::a00:1]/', /public addresses/],
    ['https://[2002:c0a8:101::1]/', /public addresses/],
    ['https://nowhere.invalid/', /does not resolve/],
  ])('should refuse %s', async (url, reason) => {
    expect(await webhookUrlProblem(url, strict({}))).toMatch(reason);
  });

  it('should allow http and private addresses, without a lookup, when private URLs are allowed', async () => {
    const options = { allowPrivate: true, resolve: async () => { throw new Error('no lookup expected'); } };
    expect(await webhookUrlProblem('http://127.0.0.1:4000/hook', options)).toBeNull();
    expect(await webhookUrlProblem('https://169.254.169.254/', options)).toBeNull();
    expect(await webhookUrlProblem('ftp://127.0.0.1/', options)).toMatch(/http or https/);
  });
});
