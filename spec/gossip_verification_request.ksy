meta:
  id: gossip_verification_request
  title: GOSSIP VERIFICATION REQUEST
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [p2p], handshake: true }
doc: Ask a peer to prove work before it enters the known-peers list.
doc-ref: docs/protocol.md §4
seq:
  - id: header
    type: gossip_header(506, 12, 12)
    doc: Frame header; type 506, size always 12.
  - id: nonce
    type: u8
    doc: Nonce the VERIFICATION RESPONSE must echo.
    doc-ref: docs/protocol.md §4.1
