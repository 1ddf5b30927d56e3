//! [`CallPeer`]: one call of `play` or `record` as a [`Machine`] any driver runs: a
//! [`MediaPeer`] (frame mode) and the example's part, an [`App`] (the player's schedule,
//! the recorder's file), composed the sans-IO way: the media peer's events are drained
//! into the app after every input, and the two deadlines are merged.
//!
//! What the application (the calls' task) sees are [`CallEvent`]s: the peer's state
//! changes for the log, the app's own events, and [`CallEvent::Ended`] once ICE or DTLS
//! closed or failed.

use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;

use wren_core::{Datagram, Machine, SocketRequest, SocketResult, Transmit};
use wren_rtc::{DtlsState, Event as RtcEvent};

use wren_media::peer::{Command, Event, MediaPeer};

/// State events held for `poll_event`; more are not kept (the app's events and
/// [`CallEvent::Ended`] always are).
pub const MAX_STATE_EVENTS: usize = 64;

/// The example's part of a call: it acts on the media peer's events and may keep a
/// deadline of its own.
pub trait App {
    /// What it tells the application (for the log).
    type Event: fmt::Debug + Send;

    /// Acts on one event of the media peer (all of them, state changes included), after
    /// any input.
    fn handle_event(&mut self, now: Instant, media: &mut MediaPeer, event: &Event);

    /// Its deadline has come (called whenever the call's has; nothing may be due).
    fn handle_timeout(&mut self, now: Instant, media: &mut MediaPeer);

    /// When [`App::handle_timeout`] is due next.
    fn poll_timeout(&self) -> Option<Instant>;

    /// Its next event for the application.
    fn poll_event(&mut self) -> Option<Self::Event>;
}

/// What a [`CallPeer`] tells its application.
#[derive(Debug)]
pub enum CallEvent<E> {
    /// ICE, DTLS or negotiation changed state (wren-rtc's event, for the log).
    State(Box<RtcEvent>),
    /// The app's own.
    App(E),
    /// The call is over: ICE failed or closed, or DTLS closed or failed. Stop driving it.
    Ended,
}

/// Whether wren-rtc's `event` ends a call.
#[must_use]
pub fn ends_call(event: &RtcEvent) -> bool {
    matches!(
        event,
        RtcEvent::IceState(wren_ice::ConnectionState::Failed | wren_ice::ConnectionState::Closed)
            | RtcEvent::IceFailed(_)
            | RtcEvent::DtlsFailed(_)
            | RtcEvent::DtlsState(DtlsState::Closed | DtlsState::Failed)
    )
}

/// A media peer and an app: one call. See the module docs.
#[derive(Debug)]
pub struct CallPeer<A> {
    media: MediaPeer,
    app: A,
    /// The peer's own events for the application, in order.
    events: VecDeque<Status>,
    ended: bool,
}

/// A [`CallEvent`] of the peer's own, queued.
#[derive(Debug)]
enum Status {
    State(Box<RtcEvent>),
    Ended,
}

impl<A: App> CallPeer<A> {
    /// `media` (its JSEP exchange done or begun) and `app`.
    #[must_use]
    pub fn new(media: MediaPeer, app: A) -> CallPeer<A> {
        CallPeer {
            media,
            app,
            events: VecDeque::new(),
            ended: false,
        }
    }

    /// The media peer (its wren-rtc peer for JSEP and stats).
    pub fn media_mut(&mut self) -> &mut MediaPeer {
        &mut self.media
    }

    /// The app.
    #[must_use]
    pub fn app(&self) -> &A {
        &self.app
    }

    /// The app, the call being over.
    #[must_use]
    pub fn into_app(self) -> A {
        self.app
    }

    /// After any input: the media peer's events go to the app, and its state changes to
    /// the application.
    pub fn pump(&mut self, now: Instant) {
        while let Some(event) = self.media.poll_event() {
            self.app.handle_event(now, &mut self.media, &event);
            let Event::Rtc(e) = event else {
                continue;
            };
            let over = ends_call(&e);
            let log = !matches!(
                e,
                RtcEvent::Rtp(_)
                    | RtcEvent::Rtcp(_)
                    | RtcEvent::LocalCandidate(_)
                    | RtcEvent::Rtt { .. }
                    | RtcEvent::Remb { .. }
            );
            if log && self.events.len() < MAX_STATE_EVENTS {
                self.events.push_back(Status::State(Box::new(e)));
            }
            if over && !self.ended {
                self.ended = true;
                self.events.push_back(Status::Ended);
            }
        }
    }
}

impl<A: App> Machine for CallPeer<A> {
    type Event = CallEvent<A::Event>;
    type Command = wren_rtc::Command;
    type Error = <MediaPeer as Machine>::Error;

    fn handle_datagram(&mut self, now: Instant, dgram: Datagram<'_>) {
        self.media.handle_datagram(now, dgram);
        self.pump(now);
    }

    fn handle_command(&mut self, now: Instant, cmd: wren_rtc::Command) -> Result<(), Self::Error> {
        let r = self.media.handle_command(now, Command::Rtc(cmd));
        self.pump(now);
        r
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.media.handle_timeout(now);
        self.pump(now);
        self.app.handle_timeout(now, &mut self.media);
        self.pump(now);
    }

    fn poll_transmit(&mut self, now: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.media.poll_transmit(now, buf)
    }

    fn poll_event(&mut self) -> Option<Self::Event> {
        // The app's events first: they are never dropped, and Ended comes last of all.
        if let Some(e) = self.app.poll_event() {
            return Some(CallEvent::App(e));
        }
        self.events.pop_front().map(|e| match e {
            Status::State(s) => CallEvent::State(s),
            Status::Ended => CallEvent::Ended,
        })
    }

    fn poll_timeout(&self) -> Option<Instant> {
        [self.media.poll_timeout(), self.app.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    fn poll_socket_request(&mut self) -> Option<SocketRequest> {
        self.media.poll_socket_request()
    }

    fn handle_socket_result(&mut self, now: Instant, result: SocketResult) {
        self.media.handle_socket_result(now, result);
        self.pump(now);
    }
}
