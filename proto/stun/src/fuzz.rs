//! Entry points for the fuzz targets in `fuzz/` (not a public API).

use crate::attr::AnyAttribute;
use crate::{Key, Message, MessageWriter};

/// Decodes `data` as a message, walks and decodes every attribute, checks integrity and
/// fingerprint, and re-encodes what decoded. Must never panic.
pub fn decode(data: &[u8]) {
    let Ok(msg) = Message::parse(data) else {
        return;
    };
    let key = Key::from_bytes(b"fuzz");
    let _ = msg.verify_integrity(&key);
    let _ = msg.verify_fingerprint();
    let _ = msg.unknown_comprehension_required().count();
    let mut out = Vec::with_capacity(data.len() + 64);
    let mut w = MessageWriter::new(&mut out, msg.message_type(), msg.transaction_id());
    for raw in msg.attributes() {
        if let Ok(attr) = AnyAttribute::decode(raw, &msg.transaction_id()) {
            let _ = attr.write_to(&mut w);
        }
    }
    let _ = w.add_message_integrity(&key);
    let _ = w.add_fingerprint();
    let len = w.finish();
    // What we write must always parse back.
    assert!(
        Message::parse(&out[..len]).is_ok(),
        "re-encoded message does not parse"
    );
}
