meta:
  id: gossip_verification_response
  title: GOSSIP VERIFICATION RESPONSE
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [p2p], handshake: true }
doc: Proof of work answering a VERIFICATION REQUEST.
doc-ref: docs/protocol.md §4
seq:
  - id: header
    type: gossip_header(507, 20, 20)
    doc: Frame header; type 507, size always 20.
  - id: nonce
    type: u8
    doc: The nonce of the VERIFICATION REQUEST this answers.
    doc-ref: docs/protocol.md §4.1
  - id: challenge
    type: u8
    doc: Proof of work; SHA-256 of the whole frame starts with pow_difficulty zero bits.
    doc-ref: docs/protocol.md §4.1
    -gossip: { export-offset: CHALLENGE_OFFSET }
