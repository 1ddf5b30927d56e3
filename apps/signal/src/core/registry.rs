//! The channels that exist (CreateSignalingChannel, DescribeSignalingChannel,
//! ListSignalingChannels, DeleteSignalingChannel), by name and by ARN.

use std::collections::BTreeMap;

use crate::channel_arn::{ArnError, ChannelArn, check_name};

/// One channel as DescribeSignalingChannel tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelInfo {
    /// Its ARN.
    pub arn: ChannelArn,
    /// When it was created, in milliseconds since the Unix epoch (wall clock, given).
    pub created_ms: u64,
    /// Its version (KVS: an opaque string that changes on update; here the creation count).
    pub version: String,
}

impl ChannelInfo {
    /// The channel's name.
    #[must_use]
    pub fn name(&self) -> &str {
        self.arn.name()
    }
}

/// Why a channel operation failed, with the KVS exception name the HTTP API reports.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The name or ARN is malformed.
    #[error("{0}")]
    Invalid(#[from] ArnError),
    /// A channel of that name exists.
    #[error("a channel named {0:?} exists")]
    Exists(String),
    /// No such channel.
    #[error("no channel {0:?}")]
    NotFound(String),
    /// The configured number of channels exist.
    #[error("at most {0} channels")]
    Full(usize),
}

impl RegistryError {
    /// The KVS exception this error is reported as.
    #[must_use]
    pub fn exception(&self) -> &'static str {
        match self {
            RegistryError::Invalid(_) => "InvalidArgumentException",
            RegistryError::Exists(_) => "ResourceInUseException",
            RegistryError::NotFound(_) => "ResourceNotFoundException",
            RegistryError::Full(_) => "AccountChannelLimitExceededException",
        }
    }

    /// The HTTP status it is reported with.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            RegistryError::Invalid(_) => 400,
            RegistryError::Exists(_) => 400,
            RegistryError::NotFound(_) => 404,
            RegistryError::Full(_) => 400,
        }
    }
}

/// The channels, sorted by name.
#[derive(Debug, Clone)]
pub struct Registry {
    region: String,
    account: String,
    max_channels: usize,
    by_name: BTreeMap<String, ChannelInfo>,
    created: u64,
}

impl Registry {
    /// An empty registry whose ARNs name `region` and `account`.
    #[must_use]
    pub fn new(region: &str, account: &str, max_channels: usize) -> Registry {
        Registry {
            region: region.to_owned(),
            account: account.to_owned(),
            max_channels,
            by_name: BTreeMap::new(),
            created: 0,
        }
    }

    /// Creates channel `name` at wall-clock time `now_ms`.
    ///
    /// # Errors
    ///
    /// When the name is malformed, taken, or the registry is full.
    pub fn create(&mut self, name: &str, now_ms: u64) -> Result<&ChannelInfo, RegistryError> {
        check_name(name)?;
        if self.by_name.contains_key(name) {
            return Err(RegistryError::Exists(name.to_owned()));
        }
        if self.by_name.len() >= self.max_channels {
            return Err(RegistryError::Full(self.max_channels));
        }
        let arn = ChannelArn::new(&self.region, &self.account, name, now_ms)?;
        self.created += 1;
        let info = ChannelInfo {
            arn,
            created_ms: now_ms,
            version: self.created.to_string(),
        };
        Ok(self.by_name.entry(name.to_owned()).or_insert(info))
    }

    /// Keeps `info` (a channel another node created, read from the shared registry),
    /// replacing a channel of the same name; the channel limit is the shared registry's
    /// to enforce.
    pub fn insert(&mut self, info: ChannelInfo) {
        self.by_name.insert(info.name().to_owned(), info);
    }

    /// The channel named `name`.
    #[must_use]
    pub fn by_name(&self, name: &str) -> Option<&ChannelInfo> {
        self.by_name.get(name)
    }

    /// The channel whose ARN is `arn`.
    #[must_use]
    pub fn by_arn(&self, arn: &ChannelArn) -> Option<&ChannelInfo> {
        self.by_name.get(arn.name()).filter(|c| c.arn == *arn)
    }

    /// Channels in name order, starting after `after` (pagination), at most `max`.
    pub fn list(&self, after: Option<&str>, max: usize) -> impl Iterator<Item = &ChannelInfo> {
        let start = match after {
            Some(a) => std::ops::Bound::Excluded(a.to_owned()),
            None => std::ops::Bound::Unbounded,
        };
        self.by_name
            .range((start, std::ops::Bound::Unbounded))
            .map(|(_, c)| c)
            .take(max)
    }

    /// Deletes the channel whose ARN is `arn`.
    ///
    /// # Errors
    ///
    /// When there is none.
    pub fn delete(&mut self, arn: &ChannelArn) -> Result<ChannelInfo, RegistryError> {
        if self.by_arn(arn).is_none() {
            return Err(RegistryError::NotFound(arn.to_string()));
        }
        self.by_name
            .remove(arn.name())
            .ok_or_else(|| RegistryError::NotFound(arn.to_string()))
    }

    /// How many channels exist.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether none exist.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_created_found_listed_and_deleted() {
        let mut r = Registry::new("us-west-2", "111122223333", 3);
        let arn = r.create("b", 1000).unwrap().arn.clone();
        r.create("a", 2000).unwrap();
        r.create("c", 3000).unwrap();
        assert_eq!(
            r.create("a", 1).unwrap_err(),
            RegistryError::Exists("a".into())
        );
        assert_eq!(r.create("d", 1).unwrap_err(), RegistryError::Full(3));
        assert!(matches!(r.create("x y", 1), Err(RegistryError::Invalid(_))));
        assert_eq!(r.by_name("b").unwrap().arn, arn);
        assert_eq!(r.by_arn(&arn).unwrap().created_ms, 1000);
        let names: Vec<&str> = r.list(None, 10).map(ChannelInfo::name).collect();
        assert_eq!(names, ["a", "b", "c"]);
        let page: Vec<&str> = r.list(Some("a"), 1).map(ChannelInfo::name).collect();
        assert_eq!(page, ["b"]);
        r.delete(&arn).unwrap();
        assert_eq!(
            r.delete(&arn).unwrap_err().exception(),
            "ResourceNotFoundException"
        );
        assert!(r.by_name("b").is_none());
        // A new channel of an old name has a new ARN; the old ARN does not find it.
        let new = r.create("b", 5000).unwrap().arn.clone();
        assert_ne!(new, arn);
        assert!(r.by_arn(&arn).is_none());
    }
}
