/**
 * docs/protocol.md §4.8 Epidemic broadcast trees, seen from suite peers linked to one node: a
 * GRAFT of an item it pushed or announced is answered with the item, a GRAFT of an id it does
 * not hold is no offence, and an id announced by two peers is pulled from the second when the
 * first does not serve. These hold whether the node floods or uses the tree: every node answers
 * IHAVE and GRAFT, its mode decides only what it sends on its own.
 */
import { createHash } from 'node:crypto';
import {
  decodeFrame,
  GossipAnnounce,
  GossipGraft,
  GossipIhave,
  GossipPrune,
  MessageType,
} from '../../runtime/entry/codec.js';
import { frameType } from '../../runtime/entry/client.js';
import { equalBytes, hex, sleep } from '../bytes.js';
import { announceFrom, describeItem, settle, Subscriber } from '../observe.js';
import type { SuitePeer } from '../peer.js';
import { fail, pass, skip, type CaseContext, type ConformanceCase } from '../types.js';
import { activeLink, isOutcome, type OpenLink } from './p2p-common.js';

/** docs/protocol.md §5 default of `graft_timeout`, used unless `--set graft_timeout` says otherwise. */
const DEFAULT_GRAFT_TIMEOUT_MS = 1_000;
/** Polling step while watching two links at once. */
const POLL_MS = 20;

/** Item identity (§4.4): the first 8 bytes of SHA-256(data_type:u16 ‖ data). */
function itemId(dataType: number, data: Uint8Array): Uint8Array {
  const digest = createHash('sha256')
    .update(Uint8Array.of(dataType >> 8, dataType & 0xff))
    .update(data)
    .digest();
  return Uint8Array.from(digest.subarray(0, 8));
}

const graftTimeoutOf = (context: CaseContext): number => context.settings.graftTimeoutMs ?? DEFAULT_GRAFT_TIMEOUT_MS;

const isAnnounceOf = (frame: Uint8Array, data: Uint8Array): boolean =>
  frameType(frame) === MessageType.GOSSIP_ANNOUNCE && equalBytes(frame.subarray(8), data);

/** True for an IHAVE or GRAFT (per `type`) that carries `id`. */
function carriesId(frame: Uint8Array, type: number, id: Uint8Array): boolean {
  if (frameType(frame) !== type) return false;
  try {
    const decoded = decodeFrame(frame);
    return 'ids' in decoded.message && decoded.message.ids.some((entry) => equalBytes(entry.id, id));
  } catch {
    return false;
  }
}

/** The first of `peers` to receive a GRAFT of `id` within `timeoutMs` (its index), or null. */
async function firstGraft(peers: readonly SuitePeer[], id: Uint8Array, timeoutMs: number): Promise<number | null> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const [index, peer] of peers.entries()) {
      if (await peer.socket.take(0, (frame) => carriesId(frame, MessageType.GOSSIP_GRAFT, id))) return index;
    }
    await sleep(POLL_MS);
  }
  return null;
}

/**
 * A local item announced at the target, and what reached the suite's link for it: the item
 * itself (a flooding node, or an eager link) or its id in an IHAVE (a lazy link). The suite
 * first sends PRUNE, so a node using the tree announces it lazily.
 */
async function announcedToUs(
  context: CaseContext,
  link: OpenLink,
): Promise<{ item: { ttl: number; dataType: number; data: Uint8Array }; id: Uint8Array; got: Uint8Array | null }> {
  link.peer.send('PRUNE', GossipPrune.encode({}));
  await settle();
  const item = { ttl: 0, dataType: context.freshDataType(), data: context.freshData() };
  const id = itemId(item.dataType, item.data);
  await announceFrom(context, link.target, item);
  const got = await link.peer.socket.take(
    context.settings.waitMs,
    (frame) => isAnnounceOf(frame, item.data) || carriesId(frame, MessageType.GOSSIP_IHAVE, id),
  );
  return { item, id, got };
}

export const treeCases: ConformanceCase[] = [
  {
    id: 'p2p/4.8/graft-answered',
    group: 'p2p',
    section: '4.8',
    requirement:
      'A GRAFT of a ttl-0 item the node pushed or announced (IHAVE) to us is answered with that item (ANNOUNCE, ttl 0) on the same link.',
    minNodes: 1,
    async run(context) {
      const link = await activeLink(context);
      if (isOutcome(link)) return link;
      const { item, id, got } = await announcedToUs(context, link);
      if (!got)
        return skip(
          'the locally announced item reached the suite neither whole nor in an IHAVE (see p2p/4.4/local-item-pushed)',
        );
      const graft = GossipGraft.encode({ ids: [{ id }] });
      link.peer.send('GRAFT', graft);
      const answer = await link.peer.socket.take(context.settings.waitMs, (frame) => isAnnounceOf(frame, item.data));
      if (answer && answer[4] === 0) return pass();
      return fail({
        message: answer ? 'the GRAFT was answered with a ttl other than 0' : 'the GRAFT was not answered with the item',
        sent: `PRUNE; ANNOUNCE on node ${link.target.index}'s API: ${describeItem(item)}; then GRAFT ${hex(graft)}`,
        expected: `ANNOUNCE (ttl 0) of the item within ${context.settings.waitMs} ms of the GRAFT`,
        got: answer
          ? hex(answer)
          : link.peer.socket.isClosed
            ? `connection closed (${link.peer.socket.closeReason})`
            : 'nothing',
      });
    },
  },
  {
    id: 'p2p/4.8/graft-unknown-ignored',
    group: 'p2p',
    section: '4.8',
    requirement:
      'A GRAFT of an id the node does not hold gets no answer and does not close the link: the link still carries the next item.',
    minNodes: 1,
    async run(context) {
      const link = await activeLink(context);
      if (isOutcome(link)) return link;
      const unknown = itemId(context.freshDataType(), context.freshData());
      const graft = GossipGraft.encode({ ids: [{ id: unknown }] });
      link.peer.send('GRAFT of an unknown id', graft);
      const closed = await link.peer.socket.waitClosed(context.settings.quietMs);
      const answered = link.peer.socket.pending().find((frame) => frameType(frame) === MessageType.GOSSIP_ANNOUNCE);
      if (closed || answered)
        return fail({
          message: closed
            ? 'the node closed the link on a GRAFT of an unknown id'
            : 'the node answered it with an item',
          sent: `GRAFT ${hex(graft)}`,
          expected: 'no answer, the link open',
          got: closed ? `connection closed (${link.peer.socket.closeReason})` : hex(answered!),
        });
      const { got } = await announcedToUs(context, link);
      if (got) return pass();
      return fail({
        message: 'after the GRAFT of an unknown id, the link carried no later item',
        sent: `GRAFT ${hex(graft)}; then PRUNE and an ANNOUNCE on node ${link.target.index}'s API`,
        expected: 'the item, whole or in an IHAVE',
        got: link.peer.socket.isClosed ? `connection closed (${link.peer.socket.closeReason})` : 'nothing',
      });
    },
  },
  {
    id: 'p2p/4.8/silent-announcer-worked-around',
    group: 'p2p',
    section: '4.8',
    requirement:
      'An item announced by IHAVE on two links is pulled with GRAFT; when the peer asked first never serves it, the other is asked and the item delivered.',
    minNodes: 1,
    async run(context) {
      const a = await activeLink(context);
      if (isOutcome(a)) return a;
      const b = await activeLink(context);
      if (isOutcome(b)) return b;
      const dataType = context.freshDataType();
      const subscriber = await Subscriber.open(context, a.target, [dataType]);
      await settle();
      const item = { ttl: 0, dataType, data: context.freshData() };
      const id = itemId(dataType, item.data);
      const ihave = GossipIhave.encode({ ids: [{ id }] });
      a.peer.send('IHAVE', ihave);
      b.peer.send('IHAVE', ihave);
      const graftMs = graftTimeoutOf(context);
      const allowance = context.settings.waitMs + 2 * graftMs; // the first wait is up to 1.5 × graft_timeout
      const sent = `IHAVE ${hex(ihave)} on links A and B (graft_timeout ${graftMs} ms)`;
      const first = await firstGraft([a.peer, b.peer], id, allowance);
      if (first === null)
        return a.peer.socket.isClosed || b.peer.socket.isClosed
          ? skip('the node closed one of the suite links (its max_peers may be below 3: --set max_peers=8)')
          : fail({
              message: 'the node never pulled an item announced to it',
              sent,
              expected: `a GRAFT with the id on A or B within ${allowance} ms`,
              got: 'none',
            });
      const other = first === 0 ? b.peer : a.peer;
      const second = await firstGraft([other], id, allowance);
      if (second === null)
        return fail({
          message: 'the node did not ask the other announcer when the first did not serve',
          sent: `${sent}; the link asked first (${first === 0 ? 'A' : 'B'}) stays silent`,
          expected: `a GRAFT with the id on the other link within ${allowance} ms`,
          got: 'none',
        });
      other.send('ANNOUNCE (the item, served)', GossipAnnounce.encode(item));
      if (await subscriber.waitFor(item.data, context.settings.waitMs)) return pass();
      return fail({
        message: 'the item served on the second GRAFT was not delivered',
        sent: `${sent}; ANNOUNCE ${describeItem(item)} on the second link asked`,
        expected: 'a NOTIFICATION of the item',
        got: `nothing within ${context.settings.waitMs} ms`,
      });
    },
  },
];
