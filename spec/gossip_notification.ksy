meta:
  id: gossip_notification
  title: GOSSIP NOTIFICATION
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [] } # sent by the daemon on the API; accepted on no port
doc: A new item of a subscribed data type, delivered by the daemon to a local module.
doc-ref: docs/protocol.md §3
seq:
  - id: header
    type: gossip_header(502, 8, 65535)
    doc: Frame header; type 502.
  - id: message_id
    type: u2
    doc: Random ID, unique among this connection's pending validations; the VALIDATION answer echoes it.
    doc-ref: docs/protocol.md §3.1
    -gossip: { export-offset: NOTIFICATION_MESSAGE_ID_OFFSET }
  - id: data_type
    type: u2
    doc: Application data type of the item.
  - id: data
    size-eos: true
    doc: The item's payload (size - 8 bytes).
