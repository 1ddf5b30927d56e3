//! RTP header extension elements in the one-byte and two-byte forms (RFC 8285 s4.2,
//! s4.3), iterated in place.

use crate::error::Error;

/// The profile value of the one-byte form (RFC 8285 s4.2).
pub const ONE_BYTE_PROFILE: u16 = 0xbede;
/// The profile value of the two-byte form, with the 4 "appbits" zero (RFC 8285 s4.3).
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// Which RFC 8285 form a header extension block uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionForm {
    /// One-byte headers (profile 0xBEDE): ids 1 to 14, 1 to 16 bytes of data (s4.2).
    OneByte,
    /// Two-byte headers (profile 0x100x): ids 1 to 255, 0 to 255 bytes of data (s4.3),
    /// with the 4 application bits of the profile field.
    TwoByte {
        /// The "appbits" (low 4 bits of the profile field).
        appbits: u8,
    },
}

impl ExtensionForm {
    /// The form a profile field names, `None` for any other profile.
    #[must_use]
    pub fn from_profile(profile: u16) -> Option<ExtensionForm> {
        if profile == ONE_BYTE_PROFILE {
            Some(ExtensionForm::OneByte)
        } else if profile & 0xfff0 == TWO_BYTE_PROFILE {
            Some(ExtensionForm::TwoByte {
                appbits: (profile & 0x0f) as u8,
            })
        } else {
            None
        }
    }

    /// The profile field value of this form.
    #[must_use]
    pub fn profile(self) -> u16 {
        match self {
            ExtensionForm::OneByte => ONE_BYTE_PROFILE,
            ExtensionForm::TwoByte { appbits } => TWO_BYTE_PROFILE | u16::from(appbits & 0x0f),
        }
    }

    /// Whether an element with `id` and `len` bytes of data fits this form.
    #[must_use]
    pub fn fits(self, id: u8, len: usize) -> bool {
        match self {
            ExtensionForm::OneByte => (1..=14).contains(&id) && (1..=16).contains(&len),
            ExtensionForm::TwoByte { .. } => id != 0 && len <= 255,
        }
    }

    /// The element header's length: 1 or 2 bytes.
    #[must_use]
    pub fn element_header_len(self) -> usize {
        match self {
            ExtensionForm::OneByte => 1,
            ExtensionForm::TwoByte { .. } => 2,
        }
    }
}

/// One header extension element: its local identifier (mapped to a URI by the SDP's
/// `a=extmap`) and its data, borrowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExtensionElement<'a> {
    /// The local identifier (1 to 14 one-byte, 1 to 255 two-byte).
    pub id: u8,
    /// The element's data.
    pub data: &'a [u8],
}

/// The elements of an extension block in order, skipping padding bytes, read in place.
///
/// Built by [`RtpPacket::extensions`](crate::rtp::RtpPacket::extensions) from a block the
/// parser has validated. Iteration stops at the one-byte form's reserved id 15 (RFC 8285
/// s4.2: "the remainder of the extension block is not processed").
#[derive(Debug, Clone)]
pub struct Extensions<'a> {
    form: ExtensionForm,
    data: &'a [u8],
}

impl<'a> Extensions<'a> {
    /// The elements of `data`, an extension block's content in `form`.
    #[must_use]
    pub fn new(form: ExtensionForm, data: &'a [u8]) -> Extensions<'a> {
        Extensions { form, data }
    }
}

impl<'a> Iterator for Extensions<'a> {
    type Item = ExtensionElement<'a>;

    #[inline]
    fn next(&mut self) -> Option<ExtensionElement<'a>> {
        match next_element(self.form, self.data) {
            Ok(Some((element, rest))) => {
                self.data = rest;
                Some(element)
            }
            _ => {
                self.data = &[];
                None
            }
        }
    }
}

/// The element at the start of `data` (after padding) and what follows it.
#[inline]
fn next_element(
    form: ExtensionForm,
    mut data: &[u8],
) -> Result<Option<(ExtensionElement<'_>, &[u8])>, Error> {
    loop {
        let Some((&first, rest)) = data.split_first() else {
            return Ok(None);
        };
        let padding = match form {
            // RFC 8285 s4.2: id 0 is padding; libwebrtc skips such a byte whatever its
            // length nibble, and so does this reader.
            ExtensionForm::OneByte => first >> 4 == 0,
            ExtensionForm::TwoByte { .. } => first == 0,
        };
        if padding {
            // A padding byte (RFC 8285 s4.2, s4.3).
            data = rest;
            continue;
        }
        let (id, len, rest) = match form {
            ExtensionForm::OneByte => {
                let id = first >> 4;
                if id == 15 {
                    return Ok(None);
                }
                (id, usize::from(first & 0x0f) + 1, rest)
            }
            ExtensionForm::TwoByte { .. } => {
                let Some((&len, rest)) = rest.split_first() else {
                    return Err(Error::TooShort {
                        what: "RTP two-byte extension element header",
                        need: 2,
                        have: 1,
                    });
                };
                (first, usize::from(len), rest)
            }
        };
        if len > rest.len() {
            return Err(Error::BadLength {
                what: "RTP header extension element",
                claimed: len,
                available: rest.len(),
            });
        }
        let (value, rest) = rest.split_at(len);
        return Ok(Some((ExtensionElement { id, data: value }, rest)));
    }
}

/// Checks that every element of a block lies inside it.
#[inline]
pub(crate) fn validate(form: ExtensionForm, mut data: &[u8]) -> Result<(), Error> {
    while let Some((_, rest)) = next_element(form, data)? {
        data = rest;
    }
    Ok(())
}
