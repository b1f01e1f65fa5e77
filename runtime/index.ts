/**
 * `voidphone-gossip`: the package's main entry point. The API client and the daemon as a
 * library; the codecs are `voidphone-gossip/codec`, the conformance suite
 * `voidphone-gossip/conformance`. Everything not exported through package.json's `exports`
 * is internal and may change.
 */
export * from './entry/client.js';
export * from './entry/daemon.js';
