/**
 * `voidphone-gossip/client`: a client of a Gossip node's API port (docs/protocol.md §3), for
 * other VoidPhone modules. `ApiClient.connect('127.0.0.1:7001')`, then `notify(type)`,
 * `announce({...})`, `for await (const n of client.notifications())` and `validate(id, ok)`.
 * `FramedSocket` is its transport, a TCP connection of whole frames (API or P2P, §1), for
 * tools that write frames by hand and wait for frames or the close with a timeout.
 */
export {
  ApiClient,
  CONNECT_TIMEOUT_MS,
  FramedSocket,
  formatEndpoint,
  frameType,
  parseEndpoint,
} from '../api/api-client.js';
export type { Endpoint } from '../api/api-client.js';
export type { GossipAnnounce, GossipNotification } from '../../generated/index.js';
