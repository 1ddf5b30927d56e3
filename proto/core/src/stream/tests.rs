use std::net::SocketAddr;

use proptest::prelude::*;

use super::*;

const BIG: usize = 1 << 20;

/// A STUN-shaped message with `body` bytes of attributes (a multiple of four).
fn stun(body: u16, fill: u8) -> Vec<u8> {
    let mut m = vec![0x00, 0x01];
    m.extend_from_slice(&body.to_be_bytes());
    m.extend_from_slice(&[0x21, 0x12, 0xa4, 0x42]);
    m.extend(std::iter::repeat_n(fill, 12 + usize::from(body)));
    m
}

/// A ChannelData message on channel 0x4000, unpadded.
fn channel_data(data: &[u8]) -> Vec<u8> {
    let mut m = vec![0x40, 0x00];
    m.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
    m.extend_from_slice(data);
    m
}

/// Feeds `chunks` in turn; returns what was delivered, and the first error.
fn read_all(
    reader: &mut StreamReader,
    framing: Framing,
    limit: usize,
    chunks: &[&[u8]],
) -> (Vec<Vec<u8>>, Result<(), ReadError>) {
    let mut got = Vec::new();
    for chunk in chunks {
        if let Err(e) = reader.feed(chunk, framing, limit, |m| got.push(m.to_vec())) {
            return (got, Err(e));
        }
    }
    (got, Ok(()))
}

#[test]
fn whole_messages_are_cut_from_the_read_and_nothing_is_kept() {
    let (a, b) = (stun(8, 0xaa), channel_data(&[1, 2, 3, 4, 5]));
    let mut data = a.clone();
    data.extend_from_slice(&b);
    data.extend_from_slice(&[0, 0, 0]); // ChannelData padding on a stream
    let mut r = StreamReader::new();
    let (got, res) = read_all(&mut r, Framing::StunChannelData, BIG, &[&data]);
    assert_eq!((got, res), (vec![a, b], Ok(())));
    assert_eq!(r.buffered(), 0);
}

#[test]
fn a_message_split_across_reads_is_kept_then_delivered() {
    let (a, c) = (stun(4, 0x11), stun(12, 0xcc));
    let mut first = a.clone();
    first.extend_from_slice(&c[..10]);
    let mut r = StreamReader::new();
    let (got, res) = read_all(&mut r, Framing::StunChannelData, BIG, &[&first]);
    assert_eq!((got, res), (vec![a], Ok(())));
    assert_eq!(r.buffered(), 10);
    let (got, res) = read_all(
        &mut r,
        Framing::StunChannelData,
        BIG,
        &[&c[10..20], &c[20..]],
    );
    assert_eq!((got, res), (vec![c], Ok(())));
    assert_eq!(r.buffered(), 0);
}

#[test]
fn rfc4571_prefixes_are_stripped() {
    let mut r = StreamReader::new();
    let (got, res) = read_all(
        &mut r,
        Framing::Rfc4571,
        BIG,
        &[&[0, 3, b'a', b'b', b'c', 0, 2, b'x'], b"y"],
    );
    assert_eq!((got, res), (vec![b"abc".to_vec(), b"xy".to_vec()], Ok(())));
}

#[test]
fn the_limit_bounds_what_is_kept_not_what_is_delivered() {
    // 100 bytes of a STUN message announcing 1000, with a limit of 64: closed.
    let mut big = stun(1000, 0);
    big.truncate(100);
    let mut r = StreamReader::new();
    assert_eq!(
        r.feed(&big, Framing::StunChannelData, 64, |_| panic!(
            "nothing whole"
        )),
        Err(ReadError::Overflow {
            buffered: 100,
            limit: 64
        })
    );
    // The same once something is kept already.
    let mut r = StreamReader::new();
    let (got, res) = read_all(
        &mut r,
        Framing::StunChannelData,
        64,
        &[&big[..10], &big[10..]],
    );
    assert!(got.is_empty());
    assert_eq!(
        res,
        Err(ReadError::Overflow {
            buffered: 100,
            limit: 64
        })
    );
    // A whole 200-byte message in one read passes a limit of 64.
    let whole = stun(180, 7);
    let mut r = StreamReader::new();
    let (got, res) = read_all(&mut r, Framing::StunChannelData, 64, &[&whole]);
    assert_eq!((got, res), (vec![whole], Ok(())));
}

#[test]
fn garbage_is_an_error_after_the_messages_before_it() {
    let a = stun(0, 1);
    let mut data = a.clone();
    data.extend_from_slice(&[0x80, 0x60, 0, 1]);
    let mut r = StreamReader::new();
    let (got, res) = read_all(&mut r, Framing::StunChannelData, BIG, &[&data]);
    assert_eq!(got, vec![a]);
    assert_eq!(
        res,
        Err(ReadError::Framing(FramingError::UnknownMessage(0x80)))
    );
}

#[test]
fn rfc4571_gets_its_prefix_and_too_long_is_refused() {
    let mut w = StreamWriter::new();
    w.queue(Framing::Rfc4571, b"abc", BIG).unwrap();
    w.queue(Framing::Rfc4571, b"", BIG).unwrap();
    assert_eq!(w.pending(), [0, 3, b'a', b'b', b'c', 0, 0]);
    assert_eq!(
        w.queue(Framing::Rfc4571, &vec![0; 65_536], BIG),
        Err(WriteError::TooLong { len: 65_536 })
    );
    assert_eq!(w.pending().len(), 7, "nothing queued");
    w.queue(Framing::Rfc4571, &vec![9; 65_535], BIG).unwrap();
    assert_eq!(&w.pending()[7..9], [0xff, 0xff]);
}

#[test]
fn channel_data_is_padded_on_a_stream_and_stun_is_not() {
    let mut w = StreamWriter::new();
    let (a, b) = (channel_data(&[1, 2, 3, 4, 5]), stun(4, 2));
    w.queue(Framing::StunChannelData, &a, BIG).unwrap();
    assert_eq!(w.pending().len(), 12);
    assert_eq!(&w.pending()[9..], [0, 0, 0]);
    w.queue(Framing::StunChannelData, &b, BIG).unwrap();
    assert_eq!(&w.pending()[12..], b.as_slice());
    // Anything else goes as it is (the reader would refuse it; the writer is not a parser).
    let mut w = StreamWriter::new();
    w.queue(Framing::StunChannelData, &[0x80, 1, 2], BIG)
        .unwrap();
    assert_eq!(w.pending(), [0x80, 1, 2]);
}

#[test]
fn the_writer_refuses_past_its_limit_and_advances() {
    let mut w = StreamWriter::new();
    let a = channel_data(&[1]); // 5 bytes, 8 framed
    w.queue(Framing::StunChannelData, &a, 16).unwrap();
    w.queue(Framing::StunChannelData, &a, 16).unwrap();
    assert_eq!(
        w.queue(Framing::StunChannelData, &a, 16),
        Err(WriteError::Overflow {
            need: 24,
            limit: 16
        })
    );
    assert_eq!(w.pending().len(), 16);
    w.advance(10);
    assert_eq!(
        w.pending(),
        [0, 1, 1, 0, 0, 0],
        "the rest of the second message"
    );
    w.queue(Framing::StunChannelData, &a, 16).unwrap();
    w.advance(14);
    assert!(w.is_empty());
}

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn connections_route_by_remote_and_reuse_slots() {
    let mut c = Connections::default();
    assert_eq!(c.next_slot(), 0);
    let a = c.insert(addr(1), 'a');
    let b = c.insert(addr(2), 'b');
    assert_eq!((a, b, c.slots()), (0, 1, 2));
    assert_eq!(c.find(addr(2)), Some(1));
    assert_eq!(c.get_mut(1), Some(&mut 'b'));

    // A second connection to the same remote takes the route over; removing the first
    // leaves it in place.
    let a2 = c.insert(addr(1), 'A');
    assert_eq!(c.find(addr(1)), Some(a2));
    assert_eq!(c.remove(a), Some('a'));
    assert_eq!(c.find(addr(1)), Some(a2));
    assert_eq!(c.remove(a), None);
    assert_eq!(c.get_mut(a), None);

    // The freed slot is next.
    assert_eq!(c.next_slot(), a);
    assert_eq!(c.insert(addr(3), 'c'), a);
    assert_eq!(c.remove(a2), Some('A'));
    assert_eq!(c.find(addr(1)), None);
    assert_eq!((c.slots(), c.get_mut(99)), (3, None));
}

/// A message that frames by itself under `framing`.
fn message(framing: Framing) -> BoxedStrategy<Vec<u8>> {
    match framing {
        Framing::Rfc4571 => proptest::collection::vec(any::<u8>(), 0..300).boxed(),
        _ => prop_oneof![
            (0u8..=3, any::<u8>(), 0u16..40, any::<u8>()).prop_map(|(t, m, words, fill)| {
                let mut s = stun(words * 4, fill);
                (s[0], s[1]) = (t, m);
                s
            }),
            (
                64u8..=79,
                any::<u8>(),
                proptest::collection::vec(any::<u8>(), 0..200)
            )
                .prop_map(|(c0, c1, data)| {
                    let mut m = channel_data(&data);
                    (m[0], m[1]) = (c0, c1);
                    m
                }),
        ]
        .boxed(),
    }
}

fn framing() -> impl Strategy<Value = Framing> {
    prop_oneof![Just(Framing::StunChannelData), Just(Framing::Rfc4571)]
}

/// `bytes` cut at the given points (each taken modulo the length).
fn cut(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.extend([0, bytes.len()]);
    points.sort_unstable();
    points
        .windows(2)
        .map(|w| bytes[w[0]..w[1]].to_vec())
        .collect()
}

proptest! {
    #[test]
    fn what_goes_in_comes_out(
        (framing, msgs) in framing().prop_flat_map(|f| (Just(f), proptest::collection::vec(message(f), 0..12))),
        cuts in proptest::collection::vec(any::<usize>(), 0..20),
    ) {
        let mut w = StreamWriter::new();
        for m in &msgs {
            w.queue(framing, m, BIG).unwrap();
        }
        let wire = w.pending().to_vec();
        w.advance(wire.len());
        prop_assert!(w.is_empty());
        let chunks = cut(&wire, &cuts);
        let chunks: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
        let mut r = StreamReader::new();
        let (got, res) = read_all(&mut r, framing, BIG, &chunks);
        prop_assert_eq!(res, Ok(()));
        prop_assert_eq!(got, msgs);
        prop_assert_eq!(r.buffered(), 0);
    }

    #[test]
    fn the_reader_never_panics_and_keeps_within_its_limit(
        framing in framing(),
        chunks in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..120), 0..8),
        limit in 0usize..200,
    ) {
        let mut r = StreamReader::new();
        let (mut fed, mut delivered) = (0, 0);
        for chunk in &chunks {
            fed += chunk.len();
            let res = r.feed(chunk, framing, limit, |m| {
                delivered += m.len();
            });
            // Messages fit in what was fed: nothing is invented or delivered twice.
            prop_assert!(delivered + r.buffered() <= fed);
            if res.is_err() {
                break;
            }
            prop_assert!(r.buffered() <= limit);
        }
    }

    #[test]
    fn the_writer_never_panics_and_keeps_within_its_limit(
        framing in framing(),
        msgs in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..100), 0..10),
        limit in 0usize..400,
        taken in proptest::collection::vec(any::<usize>(), 0..10),
    ) {
        let mut w = StreamWriter::new();
        for (i, m) in msgs.iter().enumerate() {
            let before = w.pending().len();
            match w.queue(framing, m, limit) {
                Ok(()) => prop_assert!(w.pending().len() >= before + m.len()),
                Err(_) => prop_assert_eq!(w.pending().len(), before),
            }
            prop_assert!(w.pending().len() <= limit);
            if let Some(n) = taken.get(i) {
                w.advance(n % (w.pending().len() + 1));
            }
        }
    }
}
