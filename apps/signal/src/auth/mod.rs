//! Who may connect: SigV4-presigned URLs as the KVS SDKs make them ([`sigv4`]), or tokens
//! the application hands out ([`token`]), checked
//! before the WebSocket upgrade.

mod mac;
pub mod sigv4;
pub mod token;

/// `s` split at every `sep` into exactly `N` parts, or `None` for another count.
pub(crate) fn split_exact<const N: usize>(s: &str, sep: char) -> Option<[&str; N]> {
    let mut parts = s.split(sep);
    let mut out = [""; N];
    for slot in &mut out {
        *slot = parts.next()?;
    }
    parts.next().is_none().then_some(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn split_exact_wants_the_count_exactly() {
        assert_eq!(super::split_exact::<3>("a.b.c", '.'), Some(["a", "b", "c"]));
        assert_eq!(super::split_exact::<3>("a.b", '.'), None);
        assert_eq!(super::split_exact::<3>("a.b.c.d", '.'), None);
        assert_eq!(super::split_exact::<2>("a.", '.'), Some(["a", ""]));
    }
}
