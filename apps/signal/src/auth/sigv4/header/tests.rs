//! The header form against AWS's SigV4 test suite (aws-sig-v4-test-suite: `get-vanilla`,
//! `get-vanilla-query-order-key-case`, `post-vanilla`; access key `AKIDEXAMPLE`, region
//! us-east-1, service `service`, 2015-08-30T12:36:00Z), and what a change to a signed
//! request does.

use super::*;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
/// 2015-08-30T12:36:00Z.
const AT: u64 = 1_440_938_160;

fn creds() -> Credentials<'static> {
    Credentials {
        access_key: "AKIDEXAMPLE",
        secret: SECRET,
        region: "us-east-1",
        service: "service",
    }
}

fn keys() -> HashMap<String, String> {
    [("AKIDEXAMPLE".to_owned(), SECRET.to_owned())].into()
}

fn headers(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    [
        ("Host", "example.amazonaws.com"),
        ("X-Amz-Date", "20150830T123600Z"),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn suite_header(signature: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature={signature}"
    )
}

#[test]
fn the_aws_test_suite_signatures_are_made_and_checked() {
    let order: Vec<(String, String)> = vec![
        ("Param2".into(), "value2".into()),
        ("Param1".into(), "value1".into()),
    ];
    let h = headers(&[]);
    for (name, method, query, want) in [
        (
            "get-vanilla",
            "GET",
            &[][..],
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        ),
        (
            "get-vanilla-query-order-key-case",
            "GET",
            &order[..],
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        ),
        (
            "post-vanilla",
            "POST",
            &[][..],
            "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        ),
    ] {
        let req = Request {
            method,
            path: "/",
            query,
            headers: &h,
            payload: b"",
        };
        assert_eq!(
            authorization(&req, &creds()).unwrap(),
            suite_header(want),
            "{name}"
        );
        let mut signed = h.clone();
        signed.push(("Authorization".into(), suite_header(want)));
        let req = Request {
            headers: &signed,
            ..req
        };
        let signer = verify(&req, &keys(), AT + 60).unwrap();
        assert_eq!(
            (signer.region.as_str(), signer.service.as_str()),
            ("us-east-1", "service"),
            "{name}"
        );
    }
}

/// A signed KVS call, as the tests' clients make one.
fn signed_call(body: &[u8]) -> Vec<(String, String)> {
    let mut h = headers(&[("Content-Type", "application/json")]);
    let req = Request {
        method: "POST",
        path: "/createSignalingChannel",
        query: &[],
        headers: &h,
        payload: body,
    };
    let auth = authorization(&req, &creds()).unwrap();
    assert!(
        auth.contains("SignedHeaders=content-type;host;x-amz-date,"),
        "{auth}"
    );
    h.push(("authorization".into(), auth));
    h
}

#[test]
fn the_body_the_method_the_path_and_signed_headers_are_covered() {
    let body = br#"{"ChannelName":"door"}"#;
    let h = signed_call(body);
    let req = Request {
        method: "POST",
        path: "/createSignalingChannel",
        query: &[],
        headers: &h,
        payload: body,
    };
    assert!(verify(&req, &keys(), AT).is_ok());
    let other_body = Request {
        payload: br#"{"ChannelName":"vault"}"#,
        ..req
    };
    assert_eq!(verify(&other_body, &keys(), AT), Err(SigV4Error::Mismatch));
    let other_path = Request {
        path: "/deleteSignalingChannel",
        ..req
    };
    assert_eq!(verify(&other_path, &keys(), AT), Err(SigV4Error::Mismatch));
    let other_method = Request {
        method: "PUT",
        ..req
    };
    assert_eq!(
        verify(&other_method, &keys(), AT),
        Err(SigV4Error::Mismatch)
    );
    let mut changed = h.clone();
    changed[2].1 = "text/plain".into();
    let req2 = Request {
        headers: &changed,
        ..req
    };
    assert_eq!(verify(&req2, &keys(), AT), Err(SigV4Error::Mismatch));
    // An unsigned header may be added on the way (a proxy's), a signed one not removed.
    let mut added = h.clone();
    added.push(("X-Forwarded-For".into(), "192.0.2.1".into()));
    assert!(
        verify(
            &Request {
                headers: &added,
                ..req
            },
            &keys(),
            AT
        )
        .is_ok()
    );
    let removed: Vec<_> = h
        .iter()
        .filter(|(n, _)| n != "Content-Type")
        .cloned()
        .collect();
    assert_eq!(
        verify(
            &Request {
                headers: &removed,
                ..req
            },
            &keys(),
            AT
        ),
        Err(SigV4Error::Mismatch)
    );
    // A claimed payload hash that is not the body's.
    let mut claimed = h.clone();
    claimed.push(("X-Amz-Content-Sha256".into(), "00".repeat(32)));
    assert_eq!(
        verify(
            &Request {
                headers: &claimed,
                ..req
            },
            &keys(),
            AT
        ),
        Err(SigV4Error::Mismatch)
    );
}

#[test]
fn the_date_must_be_within_fifteen_minutes_and_the_key_known() {
    let body = b"{}";
    let h = signed_call(body);
    let req = Request {
        method: "POST",
        path: "/createSignalingChannel",
        query: &[],
        headers: &h,
        payload: body,
    };
    assert!(verify(&req, &keys(), AT + MAX_CLOCK_SKEW).is_ok());
    assert_eq!(
        verify(&req, &keys(), AT + MAX_CLOCK_SKEW + 1),
        Err(SigV4Error::Expired)
    );
    assert_eq!(
        verify(&req, &keys(), AT - MAX_CLOCK_SKEW - 1),
        Err(SigV4Error::NotYetValid)
    );
    let other: HashMap<String, String> = [("SOMEONE".to_owned(), SECRET.to_owned())].into();
    assert_eq!(
        verify(&req, &other, AT),
        Err(SigV4Error::UnknownKey("AKIDEXAMPLE".into()))
    );
}

#[test]
fn missing_and_malformed_parts_are_named() {
    let check = |h: &[(String, String)]| {
        verify(
            &Request {
                method: "GET",
                path: "/",
                query: &[],
                headers: h,
                payload: b"",
            },
            &keys(),
            AT,
        )
    };
    assert_eq!(
        check(&headers(&[])),
        Err(SigV4Error::Missing("Authorization"))
    );
    let sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31";
    let without_date: Vec<_> = headers(&[("Authorization", &suite_header(sig))])
        .into_iter()
        .filter(|(n, _)| n != "X-Amz-Date")
        .collect();
    assert_eq!(check(&without_date), Err(SigV4Error::Missing("X-Amz-Date")));
    assert_eq!(
        check(&headers(&[("Authorization", "Basic dXNlcjpwdw==")])),
        Err(SigV4Error::Algorithm("Basic".into()))
    );
    assert_eq!(
        check(&headers(&[(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=x"
        )])),
        Err(SigV4Error::Missing("SignedHeaders"))
    );
    let short =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830, SignedHeaders=host, Signature=00";
    assert_eq!(
        check(&headers(&[("Authorization", short)])),
        Err(SigV4Error::Malformed("Credential"))
    );
    let unsigned_host = suite_header(sig).replace("host;x-amz-date", "x-amz-date");
    assert_eq!(
        check(&headers(&[("Authorization", &unsigned_host)])),
        Err(SigV4Error::HostNotSigned)
    );
    // A second X-Amz-Date is joined to the first (SigV4's rule for repeated headers): the
    // result is no date, not whichever one a check happened to read.
    assert_eq!(
        check(&headers(&[
            ("X-Amz-Date", "20150830T123600Z"),
            ("Authorization", &suite_header(sig))
        ])),
        Err(SigV4Error::Malformed("X-Amz-Date"))
    );
}
