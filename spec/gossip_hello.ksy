meta:
  id: gossip_hello
  title: GOSSIP HELLO
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [p2p], handshake: true }
doc: Tells the accepting side where the dialing peer listens, which an inbound connection does not show.
doc-ref: docs/protocol.md §4.2
seq:
  - id: header
    type: gossip_header(508, 8, 8)
    doc: Frame header; type 508, size always 8.
  - id: listen_port
    type: u2
    doc: TCP port of the sender's p2p_address.
  - id: reserved
    type: u2
    doc: Reserved; sent as 0, ignored on input.
