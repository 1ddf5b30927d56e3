//! SigV4 against signatures made by others: a URL signed by the KVS JavaScript SDK 2.9's own
//! `SigV4RequestSigner` (run under Node for these inputs), and AWS's published S3 presigned
//! URL example.

use super::*;

/// `node sign.js` with amazon-kinesis-video-streams-webrtc 2.9.0: `getSignedURL(
/// "wss://127.0.0.1:8443", {X-Amz-ChannelARN, X-Amz-ClientId}, 2026-12-07T04:30:00Z)` with
/// access key `AKIDEXAMPLE` and the secret below, region us-west-2.
const SDK_URL: &str = "/?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-ChannelARN=arn%3Aaws%3Akinesisvideo%3Aus-west-2%3A000000000000%3Achannel%2Fdoor%2F1700000000000&X-Amz-ClientId=viewer-1&X-Amz-Credential=AKIDEXAMPLE%2F20261207%2Fus-west-2%2Fkinesisvideo%2Faws4_request&X-Amz-Date=20261207T043000Z&X-Amz-Expires=299&X-Amz-Signature=85b43aa0d9a86bddf82d0b21052f61175652e83f5cc03cbffb1987d2dc4b080c&X-Amz-SignedHeaders=host";
const SDK_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2026-12-07T04:30:00Z.
const SIGNED_AT: u64 = 1_796_617_800;

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn split(url: &str) -> (String, Vec<(String, String)>) {
    let (path, query) = url.split_once('?').unwrap();
    let pairs = query
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (decode(k), decode(v))
        })
        .collect();
    (path.to_owned(), pairs)
}

fn keys() -> HashMap<String, String> {
    [("AKIDEXAMPLE".to_owned(), SDK_SECRET.to_owned())].into()
}

fn check(query: &[(String, String)], host: &str, now: u64) -> Result<Signer, SigV4Error> {
    let req = Request {
        method: "GET",
        host,
        path: "/",
        query,
    };
    verify(&req, &keys(), now)
}

#[test]
fn the_date_parser_agrees_with_the_calendar() {
    assert_eq!(parse_datetime("19700101T000000Z"), Some(0));
    assert_eq!(parse_datetime("20261207T043000Z"), Some(SIGNED_AT));
    assert_eq!(parse_datetime("20000229T235959Z"), Some(951_868_799));
    assert_eq!(parse_datetime("20261307T043000Z"), None);
    assert_eq!(parse_datetime("2026-12-07T04:30"), None);
    assert_eq!(parse_datetime("20261207T0430+0Z"), None);
}

#[test]
fn amz_date_is_the_inverse_of_the_date_parser() {
    assert_eq!(amz_date(SIGNED_AT), "20261207T043000Z");
    assert_eq!(amz_date(951_868_799), "20000229T235959Z");
    assert_eq!(amz_date(0), "19700101T000000Z");
    // Every day of four years (a leap year among them) at a changing time of day.
    for day in 0..4 * 366 {
        let t = 1_700_000_000 + day * 86_400 + day * 7 % 86_400;
        assert_eq!(parse_datetime(&amz_date(t)), Some(t), "{t}");
    }
}

#[test]
fn a_url_the_kvs_sdk_signed_checks_out() {
    let (_, query) = split(SDK_URL);
    let signer = check(&query, "127.0.0.1:8443", SIGNED_AT + 10).unwrap();
    assert_eq!(signer.access_key, "AKIDEXAMPLE");
    assert_eq!(signer.region, "us-west-2");
    assert_eq!(signer.service, "kinesisvideo");
}

#[test]
fn it_expires_after_x_amz_expires() {
    let (_, query) = split(SDK_URL);
    assert!(check(&query, "127.0.0.1:8443", SIGNED_AT + 299).is_ok());
    assert_eq!(
        check(&query, "127.0.0.1:8443", SIGNED_AT + 300),
        Err(SigV4Error::Expired)
    );
    assert_eq!(
        check(&query, "127.0.0.1:8443", SIGNED_AT - MAX_SKEW - 1),
        Err(SigV4Error::NotYetValid)
    );
}

#[test]
fn any_change_to_what_was_signed_is_refused() {
    let (_, query) = split(SDK_URL);
    // Another host, another client id, another channel: each breaks the signature.
    assert_eq!(
        check(&query, "127.0.0.1:9443", SIGNED_AT),
        Err(SigV4Error::Mismatch)
    );
    for (name, value) in [
        ("X-Amz-ClientId", "viewer-2"),
        (
            "X-Amz-ChannelARN",
            "arn:aws:kinesisvideo:us-west-2:000000000000:channel/other/1700000000000",
        ),
        ("X-Amz-Expires", "298"),
    ] {
        let mut q = query.clone();
        q.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_owned();
        assert_eq!(
            check(&q, "127.0.0.1:8443", SIGNED_AT),
            Err(SigV4Error::Mismatch),
            "{name}"
        );
    }
    // A parameter added after signing.
    let mut q = query.clone();
    q.push(("X-Amz-Extra".into(), "1".into()));
    assert_eq!(
        check(&q, "127.0.0.1:8443", SIGNED_AT),
        Err(SigV4Error::Mismatch)
    );
    // The right key under another secret.
    let other: HashMap<String, String> = [("AKIDEXAMPLE".to_owned(), "nope".to_owned())].into();
    let req = Request {
        method: "GET",
        host: "127.0.0.1:8443",
        path: "/",
        query: &query,
    };
    assert_eq!(verify(&req, &other, SIGNED_AT), Err(SigV4Error::Mismatch));
}

#[test]
fn missing_and_malformed_parameters_are_named() {
    let (_, query) = split(SDK_URL);
    let without = |name: &str| -> Vec<(String, String)> {
        query.iter().filter(|(k, _)| k != name).cloned().collect()
    };
    assert_eq!(
        check(&without("X-Amz-Signature"), "127.0.0.1:8443", SIGNED_AT),
        Err(SigV4Error::Missing("X-Amz-Signature"))
    );
    assert_eq!(
        check(&without("X-Amz-Credential"), "127.0.0.1:8443", SIGNED_AT),
        Err(SigV4Error::Missing("X-Amz-Credential"))
    );
    let with = |name: &str, value: &str| -> Vec<(String, String)> {
        let mut q = query.clone();
        q.iter_mut().find(|(k, _)| k == name).unwrap().1 = value.to_owned();
        q
    };
    assert_eq!(
        check(&with("X-Amz-Algorithm", "AWS4-HMAC-SHA1"), "h", SIGNED_AT),
        Err(SigV4Error::Algorithm("AWS4-HMAC-SHA1".into()))
    );
    assert_eq!(
        check(
            &with("X-Amz-Credential", "AKIDEXAMPLE/20261207"),
            "h",
            SIGNED_AT
        ),
        Err(SigV4Error::Malformed("X-Amz-Credential"))
    );
    assert_eq!(
        check(
            &with(
                "X-Amz-Credential",
                "NOBODY/20261207/us-west-2/kinesisvideo/aws4_request"
            ),
            "h",
            SIGNED_AT
        ),
        Err(SigV4Error::UnknownKey("NOBODY".into()))
    );
    assert_eq!(
        check(&with("X-Amz-Date", "yesterday"), "h", SIGNED_AT),
        Err(SigV4Error::Malformed("X-Amz-Date"))
    );
    assert_eq!(
        check(&with("X-Amz-Expires", "9999999"), "h", SIGNED_AT),
        Err(SigV4Error::Malformed("X-Amz-Expires"))
    );
    assert_eq!(
        check(&with("X-Amz-SignedHeaders", "x-amz-date"), "h", SIGNED_AT),
        Err(SigV4Error::HostNotSigned)
    );
    assert_eq!(SigV4Error::Mismatch.status(), 403);
    assert_eq!(SigV4Error::Missing("x").status(), 400);
}

/// AWS's example of a presigned S3 GET ("Authenticating Requests: Using Query Parameters",
/// Amazon S3 API reference): `UNSIGNED-PAYLOAD`, 24 hours, us-east-1.
#[test]
fn awss_published_presigned_url_example() {
    let query: Vec<(String, String)> = [
        ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
        (
            "X-Amz-Credential",
            "AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request",
        ),
        ("X-Amz-Date", "20130524T000000Z"),
        ("X-Amz-Expires", "86400"),
        ("X-Amz-SignedHeaders", "host"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    let req = Request {
        method: "GET",
        host: "examplebucket.s3.amazonaws.com",
        path: "/test.txt",
        query: &query,
    };
    let key = signing_key(
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "20130524",
        "us-east-1",
        "s3",
    );
    assert_eq!(
        signature(
            &req,
            &key,
            "20130524T000000Z",
            "20130524/us-east-1/s3/aws4_request",
            "UNSIGNED-PAYLOAD"
        ),
        "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    );
}

#[test]
fn uri_encoding_leaves_only_unreserved_characters() {
    assert_eq!(uri_encode("a-b_c.d~e"), "a-b_c.d~e");
    assert_eq!(uri_encode("arn:aws/x y+z"), "arn%3Aaws%2Fx%20y%2Bz");
}
