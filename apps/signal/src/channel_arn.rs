//! Channel names and ARNs as KVS writes them:
//! `arn:aws:kinesisvideo:REGION:ACCOUNT:channel/NAME/CREATION-MILLIS`.

use std::fmt;

/// The longest channel name KVS accepts.
pub const MAX_NAME_LEN: usize = 256;
/// The longest ARN KVS accepts in `X-Amz-ChannelARN`.
pub const MAX_ARN_LEN: usize = 1024;

/// A channel's ARN, checked against the KVS pattern, with its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelArn {
    text: String,
    region_end: usize,
    account_end: usize,
    name_start: usize,
    name_end: usize,
}

/// Why a channel name or ARN was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArnError {
    /// A channel name that is empty, too long or has a character KVS does not allow.
    #[error("a channel name has 1 to {MAX_NAME_LEN} letters, digits, '_', '.' or '-'")]
    BadName,
    /// An ARN longer than [`MAX_ARN_LEN`].
    #[error("a channel ARN has at most {MAX_ARN_LEN} characters")]
    TooLong,
    /// Not `arn:aws:kinesisvideo:REGION:ACCOUNT:channel/NAME/NUMBER`.
    #[error(
        "not a signaling channel ARN (arn:aws:kinesisvideo:REGION:ACCOUNT:channel/NAME/NUMBER)"
    )]
    Syntax,
}

/// Checks a channel name (KVS: 1-256 of `[a-zA-Z0-9_.-]`).
///
/// # Errors
///
/// [`ArnError::BadName`] when it is not one.
pub fn check_name(name: &str) -> Result<(), ArnError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok { Ok(()) } else { Err(ArnError::BadName) }
}

impl ChannelArn {
    /// The ARN of channel `name` created at `created_ms` (milliseconds since the epoch).
    ///
    /// # Errors
    ///
    /// When the name, region or account would not make a valid ARN.
    pub fn new(
        region: &str,
        account: &str,
        name: &str,
        created_ms: u64,
    ) -> Result<ChannelArn, ArnError> {
        ChannelArn::parse(&format!(
            "arn:aws:kinesisvideo:{region}:{account}:channel/{name}/{created_ms}"
        ))
    }

    /// Parses and checks an ARN.
    ///
    /// # Errors
    ///
    /// When it is too long or does not have the KVS shape.
    pub fn parse(text: &str) -> Result<ChannelArn, ArnError> {
        if text.len() > MAX_ARN_LEN {
            return Err(ArnError::TooLong);
        }
        let rest = text
            .strip_prefix("arn:aws:kinesisvideo:")
            .ok_or(ArnError::Syntax)?;
        let base = text.len() - rest.len();
        let (region, rest) = rest.split_once(':').ok_or(ArnError::Syntax)?;
        let (account, rest) = rest.split_once(':').ok_or(ArnError::Syntax)?;
        let (kind, rest) = rest.split_once('/').ok_or(ArnError::Syntax)?;
        let (name, created) = rest.rsplit_once('/').ok_or(ArnError::Syntax)?;
        let region_ok = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let kind_ok = !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_lowercase());
        if !(region_ok && digits(account) && kind_ok && digits(created)) {
            return Err(ArnError::Syntax);
        }
        check_name(name).map_err(|_| ArnError::Syntax)?;
        let region_end = base + region.len();
        let account_end = region_end + 1 + account.len();
        let name_start = account_end + 1 + kind.len() + 1;
        Ok(ChannelArn {
            text: text.to_owned(),
            region_end,
            account_end,
            name_start,
            name_end: name_start + name.len(),
        })
    }

    /// The ARN as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The channel's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.text[self.name_start..self.name_end]
    }

    /// The region part.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.text["arn:aws:kinesisvideo:".len()..self.region_end]
    }

    /// The account part.
    #[must_use]
    pub fn account(&self) -> &str {
        &self.text[self.region_end + 1..self.account_end]
    }
}

impl fmt::Display for ChannelArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_arn_is_built_and_read_back() {
        let arn = ChannelArn::new(
            "us-west-2",
            "123456789012",
            "door.bell-1",
            1_700_000_000_000,
        )
        .unwrap();
        assert_eq!(
            arn.as_str(),
            "arn:aws:kinesisvideo:us-west-2:123456789012:channel/door.bell-1/1700000000000"
        );
        assert_eq!(arn.name(), "door.bell-1");
        assert_eq!(arn.region(), "us-west-2");
        assert_eq!(arn.account(), "123456789012");
        assert_eq!(ChannelArn::parse(arn.as_str()), Ok(arn));
    }

    #[test]
    fn malformed_arns_are_refused() {
        for bad in [
            "",
            "arn:aws:kinesisvideo:us-west-2:123:channel/x",
            "arn:aws:kinesisvideo:US:123:channel/x/1",
            "arn:aws:kinesisvideo:us-west-2:12a:channel/x/1",
            "arn:aws:kinesisvideo:us-west-2:123:channel/x y/1",
            "arn:aws:kinesisvideo:us-west-2:123:channel//1",
            "arn:aws:kinesisvideo:us-west-2:123:channel/x/1a",
            "arn:aws:s3:us-west-2:123:channel/x/1",
        ] {
            assert_eq!(ChannelArn::parse(bad), Err(ArnError::Syntax), "{bad}");
        }
        let long = format!("arn:aws:kinesisvideo:r:1:channel/{}/1", "a".repeat(1020));
        assert_eq!(ChannelArn::parse(&long), Err(ArnError::TooLong));
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("a").is_ok());
        assert_eq!(check_name(""), Err(ArnError::BadName));
        assert_eq!(check_name(&"a".repeat(257)), Err(ArnError::BadName));
        assert_eq!(check_name("a/b"), Err(ArnError::BadName));
    }
}
