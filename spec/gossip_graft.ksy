meta:
  id: gossip_graft
  title: GOSSIP GRAFT
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [p2p] }
doc: |
  A pull: the ids of items the sender is missing, asked of a peer that announced them. The link
  becomes eager at both ends; the receiver answers each id it still holds with its ANNOUNCE.
doc-ref: docs/protocol.md §4.8
seq:
  - id: header
    type: gossip_header(510, 8, 2056)
    doc: Frame header; type 510, 0 to 256 ids.
  - id: reserved
    type: u4
    doc: Reserved; sent as 0, ignored on input (keeps the ids 8-byte aligned).
  - id: ids
    type: wanted_id
    repeat: eos
    doc: The wanted item ids, up to the end of the frame.
types:
  wanted_id:
    doc: An item identity.
    seq:
      - id: id
        size: 8
        doc: First 8 bytes of SHA-256(data_type ‖ data) of the item.
        doc-ref: docs/protocol.md §4.4
