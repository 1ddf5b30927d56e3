//! Headless Chromium calls the `play` and `record` examples' servers (their
//! `examples/play/` and `examples/record/` modules, run here in-process on wren-tokio, on
//! 127.0.0.1 and a port the OS picks).
//!
//! play: ffmpeg encodes 5 s of its test pattern (320x240, 30 fps, VP8, VP9 or AV1 in IVF) and
//! of a 440 Hz tone (Opus in Ogg) into a scratch directory; Chromium offers to receive
//! (`tests/play_record/play.html`; or answers the server's offer), plays what comes, and once nothing new has come for
//! 3 s reports its `inbound-rtp` stats: the video frames it decoded must be the IVF's
//! frame count (ffprobe counts them) within 2%, the audio packets it received the Ogg
//! file's packet count within 2%, with audio energy decoded and under 5% of the samples
//! concealed while the audio played. Files missing, of the wrong kind, cut short or
//! without frames are refused with an error that names the file and says why.
//!
//! record: Chromium sends its fake camera (VP8 or VP9, by `setCodecPreferences`) and
//! microphone (Opus), offering (or answering the server's offer), for 5 s from its first
//! video frame sent (`tests/play_record/record.html`), then ends the call: it hangs up (DELETE), or closes
//! its peer connection and nothing else, or the test stops the server (what Ctrl-C does).
//! Once the call is over the WebM file must show ffprobe the codecs sent and a duration
//! within 5% of the time the call sent, and ffmpeg must decode all of it without an error.
//!
//! The cases run one at a time (a lock): each is a browser with a real-time media call,
//! and parallel browsers on a small machine would only slow each other. Run with
//! `--nocapture` to see the figures; `WREN_BROWSER_STDERR=1` shows the browser's stderr.
#![allow(clippy::disallowed_methods)] // a real browser and real sockets: the real clock

#[path = "../examples/common/mod.rs"]
mod common;
#[path = "../examples/play/mod.rs"]
mod play;
#[path = "../examples/record/mod.rs"]
mod record;
/// The helpers of the tests against ffmpeg (tests/common/).
#[path = "common/mod.rs"]
mod tools;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use wren_browser::{Browser, Kind, Page};
use wren_dtls::identity::Identity;

use common::calls::{Calls, Service};

/// One case at a time (see the module docs).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How long the files play, and how long the page sends, in seconds.
const SECONDS: u32 = 5;

/// Chromium's switches: fake devices without a prompt, host candidates on loopback under
/// their own addresses, media that plays without a user gesture.
const CHROMIUM: &[&str] = &[
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
];

/// An example's server on a runtime of its own thread, stopped (its calls finished)
/// when dropped.
struct Server {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Serves `calls` (the HTTP API) on 127.0.0.1, on a port the OS picks, until dropped;
    /// then stops every call ([`Calls::stop_all`]).
    fn start<S: Service>(calls: &Arc<Calls<S>>) -> Server {
        let calls = Arc::clone(calls);
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a tokio runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind the server's HTTP port");
                addr_tx
                    .send(listener.local_addr().expect("its address"))
                    .expect("the test waits for the address");
                common::http::serve(listener, Arc::clone(&calls), async {
                    let _ = stopped.await;
                })
                .await
                .expect("the server runs");
                calls.stop_all().await;
            });
        });
        let addr = addr_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server listens");
        Server {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Headless Chromium on `html` (with `tests/play_record/call.js` in it): the page's
/// server and the browser (killed when dropped).
fn open_page(html: &str) -> (Page, Browser) {
    let page = Page::serve(html.replace("@CALL_JS@", include_str!("play_record/call.js")));
    let browser = Kind::Chromium.start_with_args(page.url(), CHROMIUM);
    (page, browser)
}

/// The page's next report (JSON), waited for at most `timeout`; one with `error` fails
/// the test.
fn read_report(page: &Page, timeout: Duration) -> serde_json::Value {
    let text = page
        .report(timeout)
        .unwrap_or_else(|| panic!("{} never reported", Kind::Chromium.version()));
    let v: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert!(
        v.get("error").is_none(),
        "{}: {v}",
        Kind::Chromium.version()
    );
    v
}

/// Opens `html` and waits for its report for at most `timeout`; the browser is gone when
/// this returns.
fn run_page(html: &str, timeout: Duration) -> serde_json::Value {
    let (page, _browser) = open_page(html);
    read_report(&page, timeout)
}

/// Whether `got` is `want` within `percent` percent of `want`.
fn within(got: f64, want: f64, percent: f64) -> bool {
    (got - want).abs() <= want * percent / 100.0
}

#[test]
fn play_vp8_chromium_decodes_the_ivf_frame_count_within_2_percent_and_the_opus_audio() {
    play_case(
        "libvpx",
        &["-b:v", "400k"],
        "video/VP8",
        Role::BrowserOffers,
    );
}

#[test]
fn play_vp8_to_chromium_answering_our_offer_decodes_the_ivf_frame_count_within_2_percent() {
    play_case(
        "libvpx",
        &["-b:v", "400k"],
        "video/VP8",
        Role::BrowserAnswers,
    );
}

#[test]
fn play_vp9_chromium_decodes_the_ivf_frame_count_within_2_percent_and_the_opus_audio() {
    play_case(
        "libvpx-vp9",
        &["-b:v", "400k", "-deadline", "realtime", "-cpu-used", "8"],
        "video/VP9",
        Role::BrowserOffers,
    );
}

#[test]
fn play_av1_chromium_decodes_the_ivf_frame_count_within_2_percent_and_the_opus_audio() {
    play_case(
        "libaom-av1",
        &["-b:v", "300k", "-cpu-used", "8", "-usage", "realtime"],
        "video/AV1",
        Role::BrowserOffers,
    );
}

/// Who offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// The browser offers (WHIP's POST /).
    BrowserOffers,
    /// The server offers (POST /offer), the browser answers (PATCH).
    BrowserAnswers,
}

impl Role {
    fn page(self) -> &'static str {
        match self {
            Role::BrowserOffers => "offer",
            Role::BrowserAnswers => "answer",
        }
    }
}

fn play_case(encoder: &str, options: &[&str], mime: &str, role: Role) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = tools::dir(&format!("play-{encoder}-{role:?}"));
    let ivf = tools::encode_ivf_seconds(&dir, encoder, options, SECONDS);
    let ogg = tools::encode_opus_seconds(&dir, SECONDS);
    let video_frames = tools::packets(&ivf, "v");
    let audio_packets = tools::packets(&ogg, "a");
    let clip = Arc::new(play::clip::Clip::open(&ivf, &ogg).expect("the files read"));
    assert_eq!(
        clip.video.len() as u64,
        video_frames,
        "our IVF reader's count"
    );

    let identity = Arc::new(Identity::generate().expect("a certificate"));
    let calls = common::calls::Calls::new(
        "127.0.0.1".parse().expect("an address"),
        play::Play::new(identity, clip),
    );
    let server = Server::start(&calls);
    let html = include_str!("play_record/play.html")
        .replace("@SERVER@", &server.url())
        .replace("@ROLE@", role.page());
    let v = run_page(&html, Duration::from_secs(180));
    assert!(
        wait_until(|| calls.running() == 0, Duration::from_secs(10)),
        "the call is over after DELETE"
    );
    drop(server);
    let sent = calls.ended().first().map(|(_, s)| *s).unwrap_or_default();

    let n = |o: &serde_json::Value, k: &str| o[k].as_f64().unwrap_or(0.0);
    let (video, audio, playing) = (&v["video"], &v["audio"], &v["audioPlaying"]);
    let decoded = n(video, "framesDecoded");
    let received = n(audio, "packetsReceived");
    let concealed = n(playing, "concealedSamples") / n(playing, "totalSamplesReceived").max(1.0);
    println!(
        "{}: play {mime}, {role:?}: {decoded} of the IVF's {video_frames} frames decoded ({} received, \
         {} keyframes, {} dropped, {} packets lost; {} sent by play); audio {received} of \
         the Ogg file's {audio_packets} packets received ({} sent by play, {} lost), {} \
         samples received, energy {:.3}, {:.2}% concealed while playing ({} silent); \
         codecs {} and {}; {} keyframe requests; {:.1} s page time",
        Kind::Chromium.version(),
        n(video, "framesReceived"),
        n(video, "keyFramesDecoded"),
        n(video, "framesDropped"),
        n(video, "packetsLost"),
        sent.video_frames,
        sent.audio_frames,
        n(audio, "packetsLost"),
        n(audio, "totalSamplesReceived"),
        n(audio, "totalAudioEnergy"),
        concealed * 100.0,
        n(playing, "silentConcealedSamples"),
        video["mimeType"],
        audio["mimeType"],
        sent.keyframe_requests,
        n(&v, "seconds"),
    );
    assert_eq!(
        video["mimeType"].as_str().map(str::to_ascii_lowercase),
        Some(mime.to_ascii_lowercase()),
        "the codec the browser decoded"
    );
    assert!(
        within(decoded, video_frames as f64, 2.0),
        "frames decoded {decoded}, the IVF has {video_frames}: {v}"
    );
    assert!(
        within(received, audio_packets as f64, 2.0),
        "audio packets received {received}, the Ogg file has {audio_packets}: {v}"
    );
    assert!(
        n(audio, "totalSamplesReceived") > 0.0 && n(audio, "totalAudioEnergy") > 0.0,
        "no audio decoded: {v}"
    );
    assert!(
        concealed < 0.05,
        "{:.1}% of the samples concealed while the audio played: {v}",
        concealed * 100.0
    );
}

#[test]
fn play_refuses_a_missing_or_invalid_file_with_an_error_that_names_it_and_says_why() {
    use play::clip::{Clip, ClipError};
    use wren_media::file::FileError;

    let dir = tools::dir("play-bad-files");
    let ivf = tools::encode_ivf_seconds(&dir, "libvpx", &[], 1);
    let ogg = tools::encode_opus_seconds(&dir, 1);
    let bytes = std::fs::read(&ivf).expect("the IVF");
    let cut = dir.join("cut.ivf");
    std::fs::write(&cut, &bytes[..bytes.len() - 100]).expect("write");
    let header_only = dir.join("header-only.ivf");
    std::fs::write(&header_only, &bytes[..32]).expect("write");
    let missing = dir.join("missing.ivf");
    /// What is wrong with the file named.
    #[derive(Debug, Clone, Copy)]
    enum Wrong {
        NotFound,
        Format,
        Empty,
    }
    let cases = [
        (&missing, &ogg, &missing, Wrong::NotFound),
        (&ogg, &ogg, &ogg, Wrong::Format),
        (&cut, &ogg, &cut, Wrong::Format),
        (&header_only, &ogg, &header_only, Wrong::Empty),
        (&ivf, &ivf, &ivf, Wrong::Format),
        (&ivf, &missing, &missing, Wrong::NotFound),
    ];
    for (video, audio, named, wrong) in cases {
        let e = Clip::open(video, audio).expect_err("a bad file is refused");
        let text = e.to_string();
        println!("--video {video:?} --audio {audio:?}: {text}");
        assert!(
            text.contains(&named.display().to_string()),
            "{text:?} names {named:?}"
        );
        let right = match (wrong, &e) {
            (
                Wrong::NotFound,
                ClipError::File {
                    path,
                    source: FileError::Io(io),
                },
            ) => path == named && io.kind() == std::io::ErrorKind::NotFound,
            (
                Wrong::Format,
                ClipError::File {
                    path,
                    source: FileError::Format(_),
                },
            )
            | (Wrong::Empty, ClipError::Empty { path }) => path == named,
            _ => false,
        };
        assert!(right, "{wrong:?} expected: {e:?}");
    }
    let clip = Clip::open(&ivf, &ogg).expect("the good files");
    assert_eq!(clip.video.len() as u64, tools::packets(&ivf, "v"));
    assert_eq!(clip.audio.len() as u64, tools::packets(&ogg, "a"));
}

#[test]
fn record_reads_the_picture_size_of_vp8_and_vp9_keyframes_and_none_from_other_frames() {
    use wren_media::file::ivf::IvfReader;

    let dir = tools::dir("record-sizes");
    type Size = fn(&[u8]) -> Option<record::dims::Size>;
    let cases: [(&str, &[&str], Size); 2] = [
        ("libvpx", &[], record::dims::vp8),
        (
            "libvpx-vp9",
            &["-deadline", "realtime", "-cpu-used", "8"],
            record::dims::vp9,
        ),
    ];
    for (encoder, options, size) in cases {
        let ivf = tools::encode_ivf_seconds(&dir, encoder, options, 1);
        let file = std::fs::File::open(&ivf).expect("the IVF");
        let mut reader = IvfReader::new(std::io::BufReader::new(file)).expect("an IVF");
        let mut frame = Vec::new();
        let mut sizes = Vec::new();
        while reader.next_frame(&mut frame).expect("a frame").is_some() {
            sizes.push(size(&frame));
        }
        // 30 frames, a keyframe every 30 (tools::encode_ivf_seconds): the first alone.
        assert_eq!(sizes.len(), 30, "{encoder}");
        assert_eq!(sizes[0], Some((320, 240)), "{encoder}: the keyframe's size");
        assert!(
            sizes[1..].iter().all(Option::is_none),
            "{encoder}: no size from a frame that is not a keyframe: {sizes:?}"
        );
        assert_eq!(
            size(&frame[..frame.len().min(3)]),
            None,
            "{encoder}: cut short"
        );
    }
}

#[test]
fn record_refuses_an_output_file_it_cannot_write_at_start() {
    let dir = tools::dir("record-unwritable");
    let out = dir.join("no-such-directory").join("call.webm");
    let identity = Arc::new(Identity::generate().expect("a certificate"));
    let e = record::Record::new(identity, out.clone()).expect_err("no directory, no file");
    println!("--out {out:?}: {e}");
    assert!(
        matches!(&e, record::RecordError::Create { path, .. } if *path == out),
        "{e:?}"
    );
    assert!(e.to_string().contains(&out.display().to_string()), "{e}");
}

#[test]
fn record_takes_one_call_at_a_time_and_the_next_once_the_first_is_over() {
    use wren_sdp::Direction;
    use wren_sdp::jsep::{CodecKind, MediaKind, Transceiver};

    let dir = tools::dir("record-one-at-a-time");
    let identity = Arc::new(Identity::generate().expect("a certificate"));
    let calls = common::calls::Calls::new(
        "127.0.0.1".parse().expect("an address"),
        record::Record::new(Arc::clone(&identity), dir.join("call.webm"))
            .expect("the output file can be written"),
    );
    // A sender's offer (a wren-rtc peer's, on a socket that never answers).
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("a socket");
    let local = socket.local_addr().expect("its address");
    let mut sender = common::rtc_peer(
        Instant::now(),
        local,
        identity,
        &[CodecKind::Vp8, CodecKind::Opus],
    );
    sender.add_transceiver(Transceiver::new(MediaKind::Audio, Direction::SendOnly));
    sender.add_transceiver(Transceiver::new(MediaKind::Video, Direction::SendOnly));
    let offer = sender.create_offer(Instant::now()).expect("an offer");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async {
        let (first, _) = calls.answer(&offer).await.expect("the first call");
        let busy = calls
            .answer(&offer)
            .await
            .expect_err("a second call at once");
        println!("a second call: {busy}");
        assert!(
            matches!(&busy, common::calls::CallError::Refused(e)
                if matches!(e.downcast_ref(), Some(record::RecordError::Busy))),
            "{busy:?}"
        );
        calls.hang_up(first).expect("the first call hangs up");
        let end = Instant::now() + Duration::from_secs(10);
        while calls.running() > 0 && Instant::now() < end {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(calls.running(), 0, "the first call is over");
        calls
            .answer(&offer)
            .await
            .expect("a call once the first is over");
        calls.stop_all().await;
    });
}

/// How a record case's call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The page hangs up: DELETE on the call's Location.
    Delete,
    /// The page closes its peer connection and says nothing to the server.
    Close,
    /// The test stops the server (what Ctrl-C does: `Calls::stop_all`) mid-call.
    ServerStops,
}

impl End {
    fn page(self) -> &'static str {
        match self {
            End::Delete => "delete",
            End::Close => "close",
            End::ServerStops => "server",
        }
    }
}

#[test]
fn record_vp8_from_chromium_is_a_webm_with_vp8_and_opus_and_the_call_duration_within_5_percent() {
    record_case("video/VP8", "vp8", End::Delete, Role::BrowserOffers);
}

#[test]
fn record_vp8_from_chromium_answering_our_offer_is_a_webm_with_vp8_opus_and_the_duration_within_5_percent()
 {
    record_case("video/VP8", "vp8", End::Delete, Role::BrowserAnswers);
}

#[test]
fn record_vp9_from_chromium_is_a_webm_with_vp9_and_opus_and_the_call_duration_within_5_percent() {
    record_case("video/VP9", "vp9", End::Delete, Role::BrowserOffers);
}

#[test]
fn record_finishes_the_webm_when_chromium_closes_its_peer_connection_without_hanging_up() {
    record_case("video/VP8", "vp8", End::Close, Role::BrowserOffers);
}

#[test]
fn record_finishes_the_webm_when_the_server_stops_mid_call() {
    record_case("video/VP8", "vp8", End::ServerStops, Role::BrowserOffers);
}

fn record_case(mime: &str, codec: &str, end: End, role: Role) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let dir = tools::dir(&format!("record-{codec}-{}-{role:?}", end.page()));
    let out = dir.join("call.webm");
    let identity = Arc::new(Identity::generate().expect("a certificate"));
    let calls = common::calls::Calls::new(
        "127.0.0.1".parse().expect("an address"),
        record::Record::new(identity, out.clone()).expect("the output file can be written"),
    );
    let server = Server::start(&calls);
    let html = include_str!("play_record/record.html")
        .replace("@SERVER@", &server.url())
        .replace("@MIME@", mime)
        .replace("@SECONDS@", &SECONDS.to_string())
        .replace("@END@", end.page())
        .replace("@ROLE@", role.page());
    let (page, browser) = open_page(&html);
    let (v, call_seconds) = if end == End::ServerStops {
        let v = read_report(&page, Duration::from_secs(120));
        assert_eq!(v["sending"], true, "{v}");
        let sending = Instant::now();
        std::thread::sleep(Duration::from_secs(u64::from(SECONDS)));
        // Returns once the server has stopped and every call is finished.
        let stopping = Instant::now();
        drop(server);
        println!(
            "the server stopped in {:.3} s",
            stopping.elapsed().as_secs_f64()
        );
        (v, (stopping - sending).as_secs_f64())
    } else {
        let v = read_report(&page, Duration::from_secs(120));
        if end == End::Delete {
            assert_eq!(v["status"], 200, "DELETE: {v}");
        }
        // The file is finished when the call is over (the server still runs).
        let over = Instant::now();
        assert!(
            wait_until(|| calls.running() == 0, Duration::from_secs(60)),
            "the call is not over after the page ended it ({end:?})"
        );
        println!(
            "the call was over {:.3} s after the page's report",
            over.elapsed().as_secs_f64()
        );
        drop(server);
        let seconds = v["callSeconds"].as_f64().unwrap_or(0.0);
        (v, seconds)
    };
    drop(browser);
    let kept = calls
        .ended()
        .first()
        .map(|(_, s)| s.clone())
        .unwrap_or_default();

    let (codecs, duration) = ffprobe(&out);
    println!(
        "{}: record {mime}, {end:?}, {role:?}: ffprobe reads {codecs:?}, {duration:.3} s; the call \
         sent for {call_seconds:.3} s ({} video frames {}x{}, {} audio packets); record \
         wrote {} video and {} audio frames, skipped {}, asked {} keyframes, {} bytes",
        Kind::Chromium.version(),
        v["video"]["framesSent"],
        v["video"]["frameWidth"],
        v["video"]["frameHeight"],
        v["audio"]["packetsSent"],
        kept.video_frames,
        kept.audio_frames,
        kept.frames_skipped,
        kept.keyframe_requests,
        std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0),
    );
    assert!(kept.error.is_none(), "the recording failed: {kept:?}");
    assert!(kept.video_frames > 0, "no video recorded: {kept:?}");
    assert_eq!(codecs, vec![codec.to_owned(), "opus".to_owned()]);
    assert!(
        within(duration, call_seconds, 5.0),
        "the file lasts {duration} s, the call {call_seconds} s"
    );
    tools::decodes_cleanly(&out);
}

/// ffprobe's codec names of the streams, in order, and the format's duration.
fn ffprobe(path: &Path) -> (Vec<String>, f64) {
    let json = tools::run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_streams",
            "-show_format",
            "-of",
            "json",
            path.to_str().expect("a UTF-8 path"),
        ],
    );
    let v: serde_json::Value =
        serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"));
    let codecs = v["streams"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| s["codec_name"].as_str().unwrap_or("").to_owned())
                .collect()
        })
        .unwrap_or_default();
    let duration = v["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no duration: {json}"));
    (codecs, duration)
}

/// Whether `done` holds within `timeout` (checked every 20 ms).
fn wait_until(done: impl Fn() -> bool, timeout: Duration) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    done()
}
