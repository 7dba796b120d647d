import { describe, expect, it } from 'vitest';
import { isQueuesDashboardPath } from './queues-dashboard.gate';

describe(isQueuesDashboardPath.name, () => {
  it.each(['/admin/queues', '/admin/queues/', '/admin/queues/static/css/main.css', '/admin/queues/api/queues?x=1', '/ADMIN/Queues', '/admin/%71ueues/api', '//admin//queues', '/admin/queues%2Fapi', '/admin/queues;x', 'http://h/admin/queues/api/queues', 'HTTP://h:1//Admin/queues', '/x/../admin/queues/api', '/admin/./queues', '/admin/%2571ueues/api', '/admin\\queues', '/admin/queues./api'])(
    'should guard %s',
    (path) => expect(isQueuesDashboardPath(path)).toBe(true),
  );
  it.each(['/api/v1/admin/queues/session', '/admin/queuesx', '/admin/workspaces', '/', '/admin/queue', '/%E0%A4%A'])('should leave %s alone', (path) => expect(isQueuesDashboardPath(path)).toBe(false));
});
