//! Parsing (RFC 8866 s5, s9): [`lexer`] cuts the text into lines under the
//! [`Limits`](crate::Limits), [`session`] reads the session section and [`media`] each
//! `m=` line; the attributes' grammars are in [`crate::attribute`].

pub(crate) mod lexer;
pub(crate) mod media;
pub(crate) mod session;

pub(crate) use session::session;

/// A decimal number of digits only (no sign, no spaces), if it fits in `T`.
pub(crate) fn number<T: TryFrom<u64>>(s: &str) -> Option<T> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    T::try_from(n).ok()
}
