meta:
  id: gossip_notify
  title: GOSSIP NOTIFY
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [api] }
doc: Subscribe this API connection to items of one data type.
doc-ref: docs/protocol.md §3
seq:
  - id: header
    type: gossip_header(501, 8, 8)
    doc: Frame header; type 501, size always 8.
  - id: reserved
    type: u2
    doc: Reserved; sent as 0, ignored on input.
  - id: data_type
    type: u2
    doc: Data type to be notified of.
    doc-ref: docs/protocol.md §3.1
