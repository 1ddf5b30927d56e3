//! Checking a SigV4-presigned request (AWS Signature Version 4, query-string form: the
//! `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
//! `X-Amz-SignedHeaders`, `X-Amz-Signature` parameters) against the access keys the server
//! is configured with. The KVS SDKs sign their WebSocket URL this way, with the service
//! `kinesisvideo`, the `host` header alone, and the SHA-256 of an empty payload. The other
//! form, an `Authorization` header as AWS SDK clients send with every API call, is
//! [`header`].

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

/// The canonical request of SigV4 (task 1): the method, the path as sent, the query sorted
/// by encoded name and value (without `X-Amz-Signature`), the signed headers by lowercase
/// name with their values trimmed and inner runs of spaces made one, the signed header
/// names, and the payload hash.
pub(crate) fn canonical_request<'q>(
    method: &str,
    path: &str,
    query: impl Iterator<Item = (&'q str, &'q str)>,
    headers: &[(&str, String)],
    signed_headers: &str,
    payload_hash: &str,
) -> String {
    let mut pairs: Vec<(String, String)> = query
        .filter(|(k, _)| *k != "X-Amz-Signature")
        .map(|(k, v)| (uri_encode(k), uri_encode(v)))
        .collect();
    pairs.sort();
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let mut canonical = format!("{method}\n{path}\n{}\n", query.join("&"));
    for (name, value) in headers {
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(&value.split_whitespace().collect::<Vec<_>>().join(" "));
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(signed_headers);
    canonical.push('\n');
    canonical.push_str(payload_hash);
    canonical
}

/// The hex signature of a canonical request (tasks 2 and 3): the string to sign from the
/// request's date and credential scope, signed with the derived key.
pub(crate) fn sign_canonical(
    key: &[u8; 32],
    datetime: &str,
    scope: &str,
    canonical: &str,
) -> String {
    let to_sign = format!(
        "{ALGORITHM}\n{datetime}\n{scope}\n{}",
        hex(&Sha256::digest(canonical.as_bytes()))
    );
    hex(&hmac(key, to_sign.as_bytes()))
}

/// `ACCESSKEY/YYYYMMDD/REGION/SERVICE/aws4_request`: the access key, date, region and
/// service.
pub(crate) fn parse_credential<'a>(
    credential: &'a str,
    what: &'static str,
) -> Result<(&'a str, &'a str, &'a str, &'a str), SigV4Error> {
    match super::split_exact(credential, '/') {
        Some([key, date, region, service, "aws4_request"]) if date.len() == 8 => {
            Ok((key, date, region, service))
        }
        _ => Err(SigV4Error::Malformed(what)),
    }
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
    let query = req.query.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let host = [("host", req.host.to_owned())];
    let canonical = canonical_request(req.method, req.path, query, &host, "host", payload_hash);
    sign_canonical(key, datetime, scope, &canonical)
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
    let (access_key, date, region, service) = parse_credential(credential, "X-Amz-Credential")?;
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
pub(crate) fn parse_datetime(s: &str) -> Option<u64> {
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

/// The `YYYYMMDDTHHMMSSZ` (`X-Amz-Date`) form of a Unix time, for clients that sign.
#[must_use]
pub fn amz_date(unix: u64) -> String {
    let (days, secs) = (unix / 86_400, unix % 86_400);
    // The civil date of a day count: the inverse of `days_from_civil`.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
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

pub mod header;

#[cfg(test)]
mod tests;
