//! Any text as an RFC 8839 candidate line; what parses must write back to the same candidate.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = text.parse::<wren_ice::Candidate>() {
        assert_eq!(c.to_string().parse::<wren_ice::Candidate>(), Ok(c));
    }
});
