meta:
  id: gossip_prune
  title: GOSSIP PRUNE
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [p2p] }
doc: The link becomes lazy at the receiving end; sent by a node that received a payload it already had.
doc-ref: docs/protocol.md §4.8
seq:
  - id: header
    type: gossip_header(511, 8, 8)
    doc: Frame header; type 511, size always 8.
  - id: reserved
    type: u4
    doc: Reserved; sent as 0, ignored on input.
