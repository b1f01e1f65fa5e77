meta:
  id: gossip_peer_response
  title: GOSSIP PEER RESPONSE
  endian: be
  imports:
    - gossip_header
  -gossip: { ports: [p2p] }
doc: |
  Some of the peers the sender knows, all of one address family, with a proof of work
  over the first 20 bytes and a SHA-256 digest of the rest (one hash block per attempt).
doc-ref: docs/protocol.md §4
seq:
  - id: header
    type: gossip_header(505, 24, 65535)
    doc: Frame header; type 505.
  - id: nonce
    type: u8
    doc: The nonce of the PEER REQUEST this answers.
    doc-ref: docs/protocol.md §4.1
  - id: challenge
    type: u8
    doc: Proof of work; SHA-256 of bytes 0-19 followed by SHA-256 of bytes 20 to the end starts with pow_difficulty zero bits.
    doc-ref: docs/protocol.md §4.1
    -gossip: { export-offset: CHALLENGE_OFFSET }
  - id: is_ipv6
    type: b1
    doc: Address family of every entry (the X bit, most significant bit of its word); false = IPv4, true = IPv6.
  - id: reserved
    type: b31
    doc: Reserved bits; sent as 0, ignored on input.
  - id: entries
    type: peer_address(is_ipv6)
    repeat: eos
    doc: The peer addresses, up to the end of the frame.
types:
  peer_address:
    doc: A peer's P2P listen address.
    params:
      - id: is_ipv6
        type: bool
        doc: Address family of the enclosing response.
    seq:
      - id: addr
        size: 'is_ipv6 ? 16 : 4'
        doc: IP address in network byte order (4 bytes for IPv4, 16 for IPv6).
      - id: port
        type: u2
        doc: TCP port.
