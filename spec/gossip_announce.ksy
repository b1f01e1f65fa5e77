meta:
  id: gossip_announce
  title: GOSSIP ANNOUNCE
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [api, p2p], droppable: true }
doc: |
  Spread an item through the network, best effort, no reply. Sent by a local module to
  the daemon (API), and pushed by a peer to its neighbours (P2P).
doc-ref: docs/protocol.md §3
seq:
  - id: header
    type: gossip_header(500, 8, 65535)
    doc: Frame header; type 500.
  - id: ttl
    type: u1
    doc: Hops the item may still travel; 0 means unlimited, 1 means direct neighbours only.
    doc-ref: docs/protocol.md §3.1
  - id: reserved
    type: u1
    doc: Reserved; sent as 0, ignored on input.
  - id: data_type
    type: u2
    doc: Application data type of the item.
  - id: data
    size-eos: true
    doc: The item's payload (size - 8 bytes).
