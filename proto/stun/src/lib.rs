//! STUN (RFC 8489): zero-copy messages, attributes, integrity, fingerprint, transactions, a Binding server
