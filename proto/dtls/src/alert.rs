//! Alerts (RFC 5246 section 7.2): a level and a description. A fatal one ends the
//! connection.

use crate::ParseError;
use crate::codes::AlertDescription;
use crate::reader::Reader;

/// An alert's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertLevel {
    /// Warning (close_notify is sent at this level).
    Warning,
    /// Fatal: the connection ends.
    Fatal,
}

/// An alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Alert {
    /// Its level.
    pub level: AlertLevel,
    /// What it says.
    pub description: AlertDescription,
}

impl Alert {
    /// A fatal alert.
    #[must_use]
    pub fn fatal(description: AlertDescription) -> Alert {
        Alert {
            level: AlertLevel::Fatal,
            description,
        }
    }

    /// Parses an alert record's body (one alert; RFC 5246 section 7.2).
    pub fn parse(body: &[u8]) -> Result<Alert, ParseError> {
        let mut r = Reader::new(body);
        let level = match r.u8("alert level")? {
            1 => AlertLevel::Warning,
            2 => AlertLevel::Fatal,
            v => {
                return Err(ParseError::Invalid {
                    what: "alert level",
                    value: u64::from(v),
                });
            }
        };
        let description = AlertDescription(r.u8("alert description")?);
        r.finish("Alert")?;
        Ok(Alert { level, description })
    }

    /// The alert's two bytes.
    #[must_use]
    pub fn to_bytes(self) -> [u8; 2] {
        let level = match self.level {
            AlertLevel::Warning => 1,
            AlertLevel::Fatal => 2,
        };
        [level, self.description.0]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alerts_round_trip() {
        let a = Alert::fatal(AlertDescription::BAD_CERTIFICATE);
        assert_eq!(Alert::parse(&a.to_bytes()), Ok(a));
        assert!(Alert::parse(&[3, 0]).is_err());
        assert!(Alert::parse(&[1]).is_err());
        assert!(Alert::parse(&[1, 0, 0]).is_err());
    }
}
