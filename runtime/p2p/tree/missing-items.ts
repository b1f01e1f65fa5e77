/**
 * Items announced to this node by IHAVE that it has not received, and pulling them
 * (docs/protocol.md §4.8 items 4 and 7). The first IHAVE of an id starts its timer
 * (graft_timeout plus a random extra of up to FIRST_WAIT_SPREAD of it); when it fires, the
 * next announcer not yet asked gets a GRAFT (ids due at once for one link share one), and the
 * timer starts again, graft_timeout each time. An id is given up when no announcer is left or
 * MAX_ANNOUNCERS_ASKED were asked. A GRAFT none of whose ids came back from its peer by the
 * time they are due again is reported unserved; an id coming back from a peer asked for it,
 * even late, reports that peer as serving (dissemination.ts decides what counts against whom).
 *
 * Pure: time is the Clock, and what to send or count goes through PullActions.
 */
import type { Clock, Timer } from '../../core/clock.js';
import type { Connection } from '../../core/connection.js';
import { DeadlineHeap } from './deadline-heap.js';
import { MAX_IDS_PER_FRAME } from './lazy-batches.js';

/** Announcers asked per id before it is given up (§4.8 item 4; bounds the serving window, item 6). */
export const MAX_ANNOUNCERS_ASKED = 4;
/**
 * Random extra on the first wait, as a share of graft_timeout: the nodes cut off from the tree
 * by one lost link all miss the same items, and the first of them to pull passes each item on
 * over its eager links before the others' timers fire, so one GRAFT repairs the cut instead of
 * one per node (each a new eager link, whose cycles later items must cut again).
 */
export const FIRST_WAIT_SPREAD = 0.5;
/**
 * Missing ids kept at most; further IHAVE ids are ignored until some resolve (§4.8 item 4,
 * §7.2): as many as the seen-set remembers by default, about 400 bytes each (40 MB at most).
 * 10,000 lost 45 % of a 100,000-item burst to a node whose tree link was lazy.
 */
export const MAX_MISSING_IDS = 100_000;

export interface PullActions {
  /** Send one GRAFT of `ids` (at most MAX_IDS_PER_FRAME) on `link`, which becomes eager. */
  graft(link: Connection, ids: readonly string[]): void;
  /** A GRAFT sent on `link` went unserved (§4.8 item 7). */
  unserved(link: Connection): void;
  /** An id came back from the link a GRAFT went to: that link serves. */
  served(link: Connection): void;
  /** `id` was given up: no announcer left, or MAX_ANNOUNCERS_ASKED asked. */
  givenUp(id: string): void;
}

/** One GRAFT frame sent, judged once when its ids fall due again. */
interface GraftSent {
  readonly link: Connection;
  readonly ids: ReadonlySet<string>;
  isServed: boolean;
  isJudged: boolean;
}

/** GRAFTs remembered per link for late answers (§4.8 item 7): a late answer still counts as served. */
export const GRAFTS_REMEMBERED_PER_LINK = 16;

interface Missing {
  readonly id: string;
  /** Announcers not yet asked, in the order their IHAVEs arrived. */
  readonly waiting: Connection[];
  /**
   * Every announcer seen, asked or not (an IHAVE repeated adds nothing). An array: it holds
   * a link or two, and a burst keeps up to MAX_MISSING_IDS of these records.
   */
  readonly announcers: Connection[];
  asked: number;
  deadline: number;
  /** The GRAFT this id went out in last. */
  graft: GraftSent | null;
}

export class MissingItems {
  private readonly missing = new Map<string, Missing>();
  /** Deadlines, soonest first; an entry whose record moved on since is stale and skipped. */
  private readonly due = new DeadlineHeap<Missing>();
  /** Per link, the missing ids it announced that still wait for their first GRAFT. */
  private readonly firstWaits = new Map<Connection, Set<Missing>>();
  /** The last GRAFTs sent on each link, newest last. */
  private readonly recentGrafts = new Map<Connection, GraftSent[]>();
  private timer: Timer | null = null;
  /** When `timer` fires. */
  private timerAt = 0;

  constructor(
    private readonly clock: Clock,
    private readonly graftTimeoutMs: number,
    private readonly actions: PullActions,
    /** A number in [0, 1) (Math.random; tests pass a fixed one). */
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.missing.size;
  }

  has(id: string): boolean {
    return this.missing.has(id);
  }

  /**
   * `link` announced `id`, which this node has not seen (the caller checked). False when the
   * id is ignored because MAX_MISSING_IDS are missing already.
   */
  announced(link: Connection, id: string): boolean {
    const record = this.missing.get(id);
    if (record) {
      if (!record.announcers.includes(link)) {
        record.announcers.push(link);
        record.waiting.push(link);
        if (record.asked === 0) this.firstWaitOf(link).add(record);
      }
      return true;
    }
    if (this.missing.size >= MAX_MISSING_IDS) return false;
    const created: Missing = {
      id,
      waiting: [link],
      announcers: [link],
      asked: 0,
      deadline: this.clock.now() + Math.round(this.graftTimeoutMs * (1 + FIRST_WAIT_SPREAD * this.random())),
      graft: null,
    };
    this.missing.set(id, created);
    this.firstWaitOf(link).add(created);
    this.schedule(created);
    return true;
  }

  /** The item `id` arrived from `link` (new or not): its pull is over. Returns who announced it. */
  arrived(link: Connection, id: string): readonly Connection[] | undefined {
    // Any GRAFT of this id to `link` was served, even one already judged or given up on (late).
    const graft = this.recentGrafts.get(link)?.find((sent) => !sent.isServed && sent.ids.has(id));
    if (graft) {
      graft.isServed = true;
      this.actions.served(link);
    }
    const record = this.missing.get(id);
    if (!record) return undefined;
    this.missing.delete(id);
    this.endFirstWait(record);
    return record.announcers;
  }

  /** `link` closed: it is asked nothing more (§4.8 item 8). */
  linkClosed(link: Connection): void {
    this.recentGrafts.delete(link);
    this.firstWaits.delete(link);
    for (const record of this.missing.values()) {
      const announcer = record.announcers.indexOf(link);
      if (announcer < 0) continue;
      record.announcers.splice(announcer, 1);
      const at = record.waiting.indexOf(link);
      if (at >= 0) record.waiting.splice(at, 1);
      if (record.graft?.link === link) record.graft.isJudged = true; // nobody left to count against
    }
  }

  close(): void {
    this.timer?.cancel();
    this.timer = null;
    this.missing.clear();
    this.recentGrafts.clear();
    this.firstWaits.clear();
  }

  private schedule(record: Missing): void {
    this.due.push(record.deadline, record);
    this.arm();
  }

  private arm(): void {
    const next = this.due.peekDeadline();
    if (next === undefined || (this.timer && this.timerAt <= next)) return;
    this.timer?.cancel();
    this.timerAt = next;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, next - this.clock.now()));
  }

  private fire(): void {
    this.timer = null;
    const now = this.clock.now();
    const grafts = new Map<Connection, Missing[]>();
    for (let soonest = this.due.peekDeadline(); soonest !== undefined && soonest <= now;) {
      const { value: record, deadline } = this.due.pop()!;
      soonest = this.due.peekDeadline();
      if (this.missing.get(record.id) !== record || record.deadline !== deadline) continue; // stale
      this.judge(record.graft);
      const link = this.nextAnnouncer(record);
      if (!link) {
        this.missing.delete(record.id);
        this.endFirstWait(record);
        this.actions.givenUp(record.id);
        continue;
      }
      const batch = grafts.get(link) ?? [];
      batch.push(record);
      grafts.set(link, batch);
    }
    for (const [link, records] of grafts) this.sendGrafts(link, this.withOthersAnnouncedBy(link, records), now);
    this.arm();
  }

  /**
   * §4.8 item 4: a GRAFT also asks for every other missing id its peer announced that is still
   * in its first wait (no GRAFT for it yet). The link becomes eager anyway, and the ids that would fall due later at this
   * node (and, a moment later, at every node behind it) come at once; otherwise each id's own
   * timer fires first at a different node of a piece cut off from the tree, and each pulls over
   * a link of its own: a new eager link per id, whose cycles later items cut again.
   */
  private withOthersAnnouncedBy(link: Connection, due: Missing[]): Missing[] {
    const records = new Set(due);
    for (const record of this.firstWaits.get(link) ?? []) {
      if (records.has(record)) continue;
      const at = record.waiting.indexOf(link);
      if (at < 0) continue;
      record.waiting.splice(at, 1);
      records.add(record);
    }
    return [...records];
  }

  private firstWaitOf(link: Connection): Set<Missing> {
    let records = this.firstWaits.get(link);
    if (!records) this.firstWaits.set(link, (records = new Set()));
    return records;
  }

  /** `record` is asked for, resolved or given up: no GRAFT takes it along any more. */
  private endFirstWait(record: Missing): void {
    if (record.asked > 0) return;
    for (const link of record.announcers) {
      const records = this.firstWaits.get(link);
      records?.delete(record);
      if (records?.size === 0) this.firstWaits.delete(link);
    }
  }

  /** §4.8 item 7: a GRAFT whose ids are due again and none of which its peer served. */
  private judge(graft: GraftSent | null): void {
    if (!graft || graft.isJudged) return;
    graft.isJudged = true;
    if (!graft.isServed) this.actions.unserved(graft.link);
  }

  private nextAnnouncer(record: Missing): Connection | undefined {
    if (record.asked >= MAX_ANNOUNCERS_ASKED) return undefined;
    return record.waiting.shift();
  }

  private sendGrafts(link: Connection, records: Missing[], now: number): void {
    for (let start = 0; start < records.length; start += MAX_IDS_PER_FRAME) {
      const chunk = records.slice(start, start + MAX_IDS_PER_FRAME);
      const graft: GraftSent = { link, ids: new Set(chunk.map((r) => r.id)), isServed: false, isJudged: false };
      const recent = this.recentGrafts.get(link) ?? [];
      recent.push(graft);
      if (recent.length > GRAFTS_REMEMBERED_PER_LINK) recent.shift();
      this.recentGrafts.set(link, recent);
      for (const record of chunk) {
        this.endFirstWait(record);
        record.asked++;
        record.graft = graft;
        record.deadline = now + this.graftTimeoutMs;
        this.schedule(record);
      }
      this.actions.graft(
        link,
        chunk.map((record) => record.id),
      );
    }
  }
}
