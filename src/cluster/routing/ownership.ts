import type { Engine } from '../engine.js';
import type { Member, Members } from '../members.js';
import type { Leases } from '../leases.js';

/** How often a front re-reads who holds which partition (also at once after a refused request). */
const REFRESH_EVERY_MS = 1000;
/** The soonest a refused request triggers another read. */
const REFRESH_SOON_MS = 150;
/** Ownership read longer ago than this is too old to call the host ready. */
const STALE_AFTER_MS = 5000;

/**
 * A front's view of the cluster: the lease holder of each partition and the live members (their
 * subjects and the partitions they serve), read from the engine every second and again soon after
 * a member refused a request as not (or no longer) its own. A view, not a decision: a member only
 * serves what its own lease allows, so a stale view costs a 503, never a wrong answer.
 */
export class OwnershipTable {
  private holders = new Map<number, string>();
  private members = new Map<string, Member>();
  private lastRead = 0;
  private lastError = '';
  private connected = true;
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private reading: Promise<void> | null = null;
  private readonly registry: Members;
  private readonly leases: Leases;

  constructor(private readonly engine: Engine) {
    this.registry = engine.memberRegistry();
    this.leases = engine.leaseManager();
  }

  get partitions(): number {
    return this.engine.names.partitions;
  }

  async start(): Promise<void> {
    void this.watchConnection();
    await this.refresh().catch(() => {});
    this.timer = setInterval(() => void this.refresh().catch(() => {}), REFRESH_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearTimeout(this.soon);
  }

  /** Reads holders and members again (one read at a time). */
  refresh(): Promise<void> {
    this.reading ??= (async () => {
      try {
        const [members, holders] = await Promise.all([this.registry.list(), this.leases.holders()]);
        this.members = new Map(members.map((m) => [m.id, m]));
        this.holders = holders;
        this.lastRead = Date.now();
        this.lastError = '';
      } catch (err) {
        this.lastError = (err as Error).message;
        throw err;
      } finally {
        this.reading = null;
      }
    })();
    return this.reading;
  }

  /** A member refused a request for a partition it was thought to own: read again shortly. */
  refreshSoon(): void {
    if (this.soon) return;
    this.soon = setTimeout(() => {
      this.soon = undefined;
      void this.refresh().catch(() => {});
    }, REFRESH_SOON_MS);
    this.soon.unref();
  }

  holder(partition: number): string | undefined {
    return this.holders.get(partition);
  }

  member(id: string): Member | undefined {
    return this.members.get(id);
  }

  liveMembers(): Member[] {
    return [...this.members.values()];
  }

  /** The partitions without a live owner serving them: no lease, a holder whose registration expired, or still loading. */
  missing(): number[] {
    const out: number[] = [];
    for (let p = 0; p < this.partitions; p++) {
      const holder = this.holders.get(p);
      const m = holder === undefined ? undefined : this.members.get(holder);
      if (!m || !(m.serving ?? []).includes(p)) out.push(p);
    }
    return out;
  }

  /** Why this host cannot route every request now, or undefined when it can (see /readyz). */
  unreadyReason(): string | undefined {
    if (this.engine.nc.isClosed() || !this.connected) return 'not connected to NATS';
    const age = Date.now() - this.lastRead;
    if (age > STALE_AFTER_MS) return `partition ownership not read from NATS for ${Math.round(age / 1000)} s${this.lastError ? ` (${this.lastError})` : ''}`;
    return undefined;
  }

  /** Every partition grouped by its holder; `unowned` lists partitions nobody holds. */
  byHolder(): { groups: Map<string, number[]>; unowned: number[] } {
    const groups = new Map<string, number[]>();
    const unowned: number[] = [];
    for (let p = 0; p < this.partitions; p++) {
      const h = this.holders.get(p);
      if (h === undefined) {
        unowned.push(p);
        continue;
      }
      let g = groups.get(h);
      if (!g) groups.set(h, (g = []));
      g.push(p);
    }
    return { groups, unowned };
  }

  private async watchConnection(): Promise<void> {
    for await (const s of this.engine.nc.status()) {
      if (s.type === 'disconnect') this.connected = false;
      else if (s.type === 'reconnect') this.connected = true;
    }
  }
}
