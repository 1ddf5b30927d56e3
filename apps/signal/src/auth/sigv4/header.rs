//! SigV4 in its header form: `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=...,
//! Signature=...` with an `X-Amz-Date` header, as AWS SDK clients sign every call of the KVS
//! API (CreateSignalingChannel, GetSignalingChannelEndpoint, GetIceServerConfig, ...). The
//! payload is signed too: its SHA-256, or the `X-Amz-Content-Sha256` header's value when
//! the client sends one (which must then be the payload's, or `UNSIGNED-PAYLOAD`).
//!
//! The path is signed as it arrived: the KVS API's paths have no characters that SigV4's
//! second encoding of the path would change.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::{
    ALGORITHM, SigV4Error, Signer, canonical_request, parse_credential, parse_datetime,
    sign_canonical, signing_key,
};
use crate::auth::mac::hex;

/// How far a request's `X-Amz-Date` may be from our clock, either way (AWS: 15 minutes).
pub const MAX_CLOCK_SKEW: u64 = 15 * 60;

/// A request to check, or to sign: what goes over the wire.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The path, as sent (already percent-encoded as on the wire).
    pub path: &'a str,
    /// The query parameters, percent-decoded, in any order.
    pub query: &'a [(String, String)],
    /// The headers as received: names in any case; a name given twice has its values
    /// joined with commas, as SigV4 says.
    pub headers: &'a [(String, String)],
    /// The body.
    pub payload: &'a [u8],
}

impl Request<'_> {
    /// The value of header `name` (any case), several joined with commas.
    fn header(&self, name: &str) -> Option<String> {
        let mut values = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim());
        let first = values.next()?;
        Some(values.fold(first.to_owned(), |mut all, v| {
            all.push(',');
            all.push_str(v);
            all
        }))
    }

    /// The canonical request over the headers named in `signed` (`;`-separated,
    /// lowercase), or `None` when one of them is missing.
    fn canonical(&self, signed: &str, payload_hash: &str) -> Option<String> {
        let headers = signed
            .split(';')
            .map(|name| self.header(name).map(|v| (name, v)))
            .collect::<Option<Vec<_>>>()?;
        let query = self.query.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        Some(canonical_request(
            self.method,
            self.path,
            query,
            &headers,
            signed,
            payload_hash,
        ))
    }
}

/// The parts of an `Authorization` header.
struct Authorization<'a> {
    credential: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Result<Authorization<'_>, SigV4Error> {
    let (algorithm, rest) = value
        .trim()
        .split_once(' ')
        .ok_or(SigV4Error::Malformed("Authorization"))?;
    if algorithm != ALGORITHM {
        return Err(SigV4Error::Algorithm(algorithm.to_owned()));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        match part.trim().split_once('=') {
            Some(("Credential", v)) => credential = Some(v),
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            Some(("Signature", v)) => signature = Some(v),
            _ => return Err(SigV4Error::Malformed("Authorization")),
        }
    }
    Ok(Authorization {
        credential: credential.ok_or(SigV4Error::Missing("Credential"))?,
        signed_headers: signed_headers.ok_or(SigV4Error::Missing("SignedHeaders"))?,
        signature: signature.ok_or(SigV4Error::Missing("Signature"))?,
    })
}

/// The payload hash the signature covers.
fn payload_hash(req: &Request<'_>) -> Result<String, SigV4Error> {
    let actual = hex(&Sha256::digest(req.payload));
    match req.header("x-amz-content-sha256") {
        Some(claimed) if claimed == "UNSIGNED-PAYLOAD" => Ok(claimed),
        // A claimed hash that is not the body's: the body was changed on the way.
        Some(claimed) if !claimed.eq_ignore_ascii_case(&actual) => Err(SigV4Error::Mismatch),
        _ => Ok(actual),
    }
}

/// Checks `req`'s `Authorization` header at wall-clock second `now_unix` against `keys`
/// (access key id to secret).
///
/// # Errors
///
/// A [`SigV4Error`] naming what did not check out: no header (`Missing("Authorization")`),
/// no `X-Amz-Date`, a malformed part, an unknown key, `host` not signed, a date more than
/// [`MAX_CLOCK_SKEW`] away from ours (`Expired` or `NotYetValid`), or a signature that does
/// not match.
pub fn verify(
    req: &Request<'_>,
    keys: &HashMap<String, String>,
    now_unix: u64,
) -> Result<Signer, SigV4Error> {
    let value = req
        .header("authorization")
        .ok_or(SigV4Error::Missing("Authorization"))?;
    let auth = parse_authorization(&value)?;
    let datetime = req
        .header("x-amz-date")
        .ok_or(SigV4Error::Missing("X-Amz-Date"))?;
    let signed_at = parse_datetime(&datetime).ok_or(SigV4Error::Malformed("X-Amz-Date"))?;
    let (access_key, date, region, service) = parse_credential(auth.credential, "Credential")?;
    if !datetime.starts_with(date) {
        return Err(SigV4Error::Malformed("Credential"));
    }
    if !auth.signed_headers.split(';').any(|h| h == "host") {
        return Err(SigV4Error::HostNotSigned);
    }
    let secret = keys
        .get(access_key)
        .ok_or_else(|| SigV4Error::UnknownKey(access_key.to_owned()))?;
    let hash = payload_hash(req)?;
    let canonical = req
        .canonical(auth.signed_headers, &hash)
        .ok_or(SigV4Error::Mismatch)?;
    let key = signing_key(secret, date, region, service);
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let want = sign_canonical(&key, &datetime, &scope, &canonical);
    if !wren_core::constant_time_eq(want.as_bytes(), auth.signature.as_bytes()) {
        return Err(SigV4Error::Mismatch);
    }
    if signed_at > now_unix.saturating_add(MAX_CLOCK_SKEW) {
        return Err(SigV4Error::NotYetValid);
    }
    if now_unix > signed_at.saturating_add(MAX_CLOCK_SKEW) {
        return Err(SigV4Error::Expired);
    }
    Ok(Signer {
        access_key: access_key.to_owned(),
        region: region.to_owned(),
        service: service.to_owned(),
    })
}

/// Who signs: an access key and its secret, for a region and service.
#[derive(Debug, Clone, Copy)]
pub struct Credentials<'a> {
    /// The access key id.
    pub access_key: &'a str,
    /// Its secret.
    pub secret: &'a str,
    /// The region of the credential scope.
    pub region: &'a str,
    /// The service of the credential scope (`kinesisvideo` for KVS).
    pub service: &'a str,
}

/// The `Authorization` header value for `req`, signing every header it has (which must
/// include `host` and `x-amz-date`), as a client of the API would: for programs that call
/// wren-signal's control plane without an AWS SDK.
///
/// # Errors
///
/// [`SigV4Error::Missing`] without an `X-Amz-Date` header, [`SigV4Error::Malformed`] when it
/// is not a `YYYYMMDDTHHMMSSZ` time, [`SigV4Error::HostNotSigned`] without a `Host` header.
pub fn authorization(req: &Request<'_>, creds: &Credentials<'_>) -> Result<String, SigV4Error> {
    let datetime = req
        .header("x-amz-date")
        .ok_or(SigV4Error::Missing("X-Amz-Date"))?;
    if parse_datetime(&datetime).is_none() {
        return Err(SigV4Error::Malformed("X-Amz-Date"));
    }
    let mut names: Vec<String> = req
        .headers
        .iter()
        .map(|(n, _)| n.to_ascii_lowercase())
        .filter(|n| n != "authorization")
        .collect();
    names.sort();
    names.dedup();
    if !names.iter().any(|n| n == "host") {
        return Err(SigV4Error::HostNotSigned);
    }
    let signed = names.join(";");
    let hash = payload_hash(req)?;
    let canonical = req.canonical(&signed, &hash).ok_or(SigV4Error::Mismatch)?;
    let date = &datetime[..8];
    let key = signing_key(creds.secret, date, creds.region, creds.service);
    let scope = format!("{date}/{}/{}/aws4_request", creds.region, creds.service);
    let signature = sign_canonical(&key, &datetime, &scope, &canonical);
    Ok(format!(
        "{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
        creds.access_key
    ))
}

#[cfg(test)]
mod tests;
