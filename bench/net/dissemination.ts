/**
 * The dissemination modes bench:net compares: our flooding and epidemic broadcast tree
 * (the `dissemination = flood | tree` setting, docs/protocol.md §5) and js-libp2p GossipSub.
 * A build whose daemon does not know the setting yet runs flood only: every `tree` run is
 * skipped with a note rather than silently measured as flooding.
 */
import type { GossipConfig } from '../../runtime/config.js';
import { defaultConfig } from '../../runtime/config.js';
import { GOSSIP_KEYS } from '../../runtime/config-schema.js';
import { MessageType } from '../../generated/index.js';

export type Dissemination = 'flood' | 'tree';
export type Variant = Dissemination | 'gossipsub';

const KEY = 'dissemination';

/** `flood`, `tree`, `gossipsub D=8`, `gossipsub D=6 (default)`. */
export const variantLabel = (c: { readonly variant: Variant; readonly meshDegree: number | null }): string =>
  c.variant === 'gossipsub' ? `gossipsub D=${c.meshDegree ?? '6 (default)'}` : c.variant;

/** Null when this build's daemon takes `dissemination` (INI key and GossipConfig field); else why not. */
export function disseminationUnsupported(): string | null {
  const inSchema = (GOSSIP_KEYS as readonly string[]).includes(KEY);
  const inConfig = KEY in defaultConfig();
  if (inSchema && inConfig) return null;
  return `this build's daemon has no \`${KEY}\` setting (${inSchema ? '' : 'not in the config schema'}${
    !inSchema && !inConfig ? ', ' : ''
  }${inConfig ? '' : 'not a GossipConfig field'}): tree runs skipped, flood is what the daemon does`;
}

/**
 * The in-process daemons' settings for `mode`: the field when the build has it (flood is set
 * explicitly, as tree may become the default), nothing when it has not (flooding is all it does).
 */
export function configFor(mode: Dissemination): Partial<GossipConfig> {
  return disseminationUnsupported() === null ? { dissemination: mode } : {};
}

/** The INI lines for `mode` in a daemon process's config file (none when the key is unknown). */
export function iniLinesFor(mode: Dissemination): string[] {
  return disseminationUnsupported() === null ? [`${KEY} = ${mode}`] : [];
}

/** Message type number → short name (`PEER REQUEST`), for the control-frame breakdown. */
export function messageName(type: number): string {
  const entry = Object.entries(MessageType).find(([, value]) => value === type);
  return entry ? entry[0].replace(/^GOSSIP_/, '').replace(/_/g, ' ') : `type ${type}`;
}

/** The P2P message that carries an item's payload; every other P2P message is control. */
export const PAYLOAD_TYPE: number = MessageType.GOSSIP_ANNOUNCE;
