meta:
  id: gossip_header
  title: VoidPhone frame header
  endian: be
doc: |
  The 4-byte header that starts every frame, API and P2P alike. `size` counts the whole
  frame, header included. Each message passes its own type number and size limits, so
  that Kaitai checks them too.
doc-ref: docs/protocol.md §1
params:
  - id: expected_type
    type: u2
    doc: The message type number this frame must carry.
  - id: min_size
    type: u2
    doc: The smallest size, in bytes, a frame of this type may have.
  - id: max_size
    type: u2
    doc: The largest size, in bytes, a frame of this type may have (equal to min_size for a fixed-size message).
seq:
  - id: size
    type: u2
    doc: Size of the whole frame in bytes, header included (4 to 65535).
    valid:
      min: min_size
      max: max_size
  - id: msg_type
    type: u2
    doc: Message type number from the registry.
    doc-ref: docs/protocol.md §2
    valid: expected_type
