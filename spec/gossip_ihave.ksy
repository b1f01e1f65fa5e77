meta:
  id: gossip_ihave
  title: GOSSIP IHAVE
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [p2p] }
doc: |
  A lazy announcement: the ids of items the sender has validated and pushed, sent instead of
  their payloads on a lazy link of the broadcast tree. The receiver pulls a missing one with GRAFT.
doc-ref: docs/protocol.md §4.8
seq:
  - id: header
    type: gossip_header(509, 8, 2056)
    doc: Frame header; type 509, 0 to 256 ids.
  - id: reserved
    type: u4
    doc: Reserved; sent as 0, ignored on input (keeps the ids 8-byte aligned).
  - id: ids
    type: announced_id
    repeat: eos
    doc: The announced item ids, up to the end of the frame.
types:
  announced_id:
    doc: An item identity.
    seq:
      - id: id
        size: 8
        doc: First 8 bytes of SHA-256(data_type ‖ data) of the item.
        doc-ref: docs/protocol.md §4.4
