meta:
  id: gossip_validation
  title: GOSSIP VALIDATION
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [api], priority: true }
doc: A module's verdict on a NOTIFICATION it received.
doc-ref: docs/protocol.md §3
seq:
  - id: header
    type: gossip_header(503, 8, 8)
    doc: Frame header; type 503, size always 8.
  - id: message_id
    type: u2
    doc: The message ID of the NOTIFICATION this answers.
  - id: reserved
    type: b15
    doc: Reserved bits; sent as 0, ignored on input.
  - id: valid
    type: b1
    doc: True when the item is well-formed (the lowest bit of the word).
    doc-ref: docs/protocol.md §3.1
