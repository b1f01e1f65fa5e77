meta:
  id: gossip_peer_request
  title: GOSSIP PEER REQUEST
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [p2p] }
doc: Ask an active peer for some of the peers it knows.
doc-ref: docs/protocol.md §4
seq:
  - id: header
    type: gossip_header(504, 16, 16)
    doc: Frame header; type 504, size always 16.
  - id: limit
    type: u1
    doc: Maximum number of peers the response should carry.
  - id: reserved
    type: b24
    doc: Reserved; sent as 0, ignored on input.
  - id: nonce
    type: u8
    doc: Nonce the proof of work in the PEER RESPONSE must echo.
    doc-ref: docs/protocol.md §4.1
