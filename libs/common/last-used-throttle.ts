/**
 * Decides, in this process, when a credential's last_used_at is worth writing: at most once a
 * minute per credential. The write itself also checks the minute, so several processes agree.
 */
export class LastUsedThrottle {
  private readonly lastWrite = new Map<string, number>();

  shouldWrite(id: string, now = Date.now()): boolean {
    const last = this.lastWrite.get(id);
    if (last !== undefined && now - last < 60_000) return false;
    if (this.lastWrite.size > 100_000) this.lastWrite.clear();
    this.lastWrite.set(id, now);
    return true;
  }
}
