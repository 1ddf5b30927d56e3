//! Checking a SigV4-presigned request (AWS Signature Version 4, query-string form: the
//! `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
//! `X-Amz-SignedHeaders`, `X-Amz-Signature` parameters) against the access keys the server
//! is configured with. The KVS SDKs sign their WebSocket URL this way, with the service
//! `kinesisvideo`, the `host` header alone, and the SHA-256 of an empty payload.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::mac::{hex, hmac_sha256 as hmac};

/// The only algorithm SigV4 names.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The longest validity a presigned URL may claim (SigV4: 7 days).
pub const MAX_EXPIRES: u64 = 7 * 24 * 3600;
/// How far a request's date may be ahead of our clock.
pub const MAX_SKEW: u64 = 5 * 60;

/// A request to check: what the server saw.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method (GET for a WebSocket upgrade).
    pub method: &'a str,
    /// The `Host` header as the client sent it.
    pub host: &'a str,
    /// The path, as sent (already percent-encoded as on the wire).
    pub path: &'a str,
    /// The query parameters, percent-decoded, in any order.
    pub query: &'a [(String, String)],
}

/// Who signed a request that checks out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    /// The access key id.
    pub access_key: String,
    /// The region of its credential scope.
    pub region: String,
    /// The service of its credential scope.
    pub service: String,
}

/// Why a presigned request was refused (HTTP 403, except where noted).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SigV4Error {
    /// A required parameter is missing (400).
    #[error("missing {0}")]
    Missing(&'static str),
    /// A parameter is malformed (400).
    #[error("malformed {0}")]
    Malformed(&'static str),
    /// Not AWS4-HMAC-SHA256 (400).
    #[error("unsupported algorithm {0:?}")]
    Algorithm(String),
    /// The access key is not one of ours.
    #[error("unknown access key {0:?}")]
    UnknownKey(String),
    /// `host` is not among the signed headers.
    #[error("the host header must be signed")]
    HostNotSigned,
    /// Past `X-Amz-Date` + `X-Amz-Expires`.
    #[error("the signature expired")]
    Expired,
    /// `X-Amz-Date` is ahead of our clock by more than [`MAX_SKEW`].
    #[error("the signature's date is in the future")]
    NotYetValid,
    /// The signature does not match.
    #[error("the signature does not match")]
    Mismatch,
}

impl SigV4Error {
    /// The HTTP status the upgrade is refused with.
    #[must_use]
    pub fn status(&self) -> u16 {
        match self {
            SigV4Error::Missing(_) | SigV4Error::Malformed(_) | SigV4Error::Algorithm(_) => 400,
            _ => 403,
        }
    }
}

/// RFC 3986 percent-encoding of everything but the unreserved characters, as SigV4's
/// canonical query string wants it.
#[must_use]
pub fn uri_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The SigV4 signing key for a secret, date (YYYYMMDD), region and service.
#[must_use]
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// The signature of a presigned request: `query` without `X-Amz-Signature`, `payload_hash`
/// the hex SHA-256 of the payload or `UNSIGNED-PAYLOAD`.
#[must_use]
pub fn signature(
    req: &Request<'_>,
    key: &[u8; 32],
    datetime: &str,
    scope: &str,
    payload_hash: &str,
) -> String {
    let mut pairs: Vec<(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| k != "X-Amz-Signature")
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let canonical = format!(
        "{}\n{}\n{}\nhost:{}\n\nhost\n{payload_hash}",
        req.method,
        req.path,
        query.join("&"),
        req.host.trim(),
    );
    let to_sign = format!(
        "{ALGORITHM}\n{datetime}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    hex(&hmac(key, to_sign.as_bytes()))
}

/// Checks `req` at wall-clock second `now_unix` against `keys` (access key id to secret).
///
/// The payload hash may be the SHA-256 of nothing (what the KVS SDKs sign) or
/// `UNSIGNED-PAYLOAD` (what AWS's general presigners write).
///
/// # Errors
///
/// A [`SigV4Error`] naming what did not check out.
pub fn verify(
    req: &Request<'_>,
    keys: &HashMap<String, String>,
    now_unix: u64,
) -> Result<Signer, SigV4Error> {
    let get = |name: &'static str| {
        req.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .ok_or(SigV4Error::Missing(name))
    };
    let algorithm = get("X-Amz-Algorithm")?;
    if algorithm != ALGORITHM {
        return Err(SigV4Error::Algorithm(algorithm.to_owned()));
    }
    let credential = get("X-Amz-Credential")?;
    let datetime = get("X-Amz-Date")?;
    let expires = get("X-Amz-Expires")?;
    let signed_headers = get("X-Amz-SignedHeaders")?;
    let given = get("X-Amz-Signature")?;
    // ACCESSKEY/YYYYMMDD/REGION/SERVICE/aws4_request
    let mut parts = credential.split('/');
    let (Some(access_key), Some(date), Some(region), Some(service), Some("aws4_request"), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(SigV4Error::Malformed("X-Amz-Credential"));
    };
    let signed_at = parse_datetime(datetime).ok_or(SigV4Error::Malformed("X-Amz-Date"))?;
    if !datetime.starts_with(date) {
        return Err(SigV4Error::Malformed("X-Amz-Credential"));
    }
    let expires: u64 = expires
        .parse()
        .ok()
        .filter(|e| *e <= MAX_EXPIRES)
        .ok_or(SigV4Error::Malformed("X-Amz-Expires"))?;
    if signed_headers != "host" {
        return Err(SigV4Error::HostNotSigned);
    }
    let secret = keys
        .get(access_key)
        .ok_or_else(|| SigV4Error::UnknownKey(access_key.to_owned()))?;
    let key = signing_key(secret, date, region, service);
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let empty = hex(&Sha256::digest(b""));
    let ok = [empty.as_str(), "UNSIGNED-PAYLOAD"].iter().any(|payload| {
        let want = signature(req, &key, datetime, &scope, payload);
        wren_core::constant_time_eq(want.as_bytes(), given.as_bytes())
    });
    if !ok {
        return Err(SigV4Error::Mismatch);
    }
    // Time after the signature: a stale but genuine URL says "expired", a forged one
    // says nothing about our clock.
    if signed_at > now_unix.saturating_add(MAX_SKEW) {
        return Err(SigV4Error::NotYetValid);
    }
    if now_unix > signed_at.saturating_add(expires) {
        return Err(SigV4Error::Expired);
    }
    Ok(Signer {
        access_key: access_key.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

/// Seconds since the epoch of a `YYYYMMDDTHHMMSSZ` time.
fn parse_datetime(s: &str) -> Option<u64> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u64> {
        let t = s.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, se) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se)
}

/// Days from 1970-01-01 to a proleptic Gregorian date (years from 1970 on).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y.saturating_sub(1) } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

#[cfg(test)]
mod tests;
