//! What the server has to send and to say, bounded: check responses and keepalives wait as
//! small descriptors and are written into the driver's buffer only when it asks
//! (`poll_transmit`), so a waiting answer holds no buffer; events wait as they are.

use std::collections::VecDeque;

use wren_stun::TransactionId;

use super::demux::RouteKey;
use super::event::Event;
use super::session::SessionId;

/// What to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReplyKind {
    /// The success response to a check.
    Success,
    /// 487 to a peer that is controlled too.
    RoleConflict,
    /// A Binding indication on the selected path.
    Keepalive,
}

/// A datagram to write for `session` on the path `to`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reply {
    pub(crate) session: SessionId,
    pub(crate) kind: ReplyKind,
    pub(crate) tid: TransactionId,
    pub(crate) to: RouteKey,
}

#[derive(Debug)]
pub(crate) struct Output {
    replies: VecDeque<Reply>,
    events: VecDeque<Event>,
    max_replies: usize,
    max_events: usize,
}

impl Output {
    pub(crate) fn new(max_replies: usize, max_events: usize) -> Output {
        Output {
            replies: VecDeque::new(),
            events: VecDeque::new(),
            max_replies,
            max_events,
        }
    }

    /// Queues `r`; `false` when the queue is full and it was dropped.
    #[must_use]
    pub(crate) fn reply(&mut self, r: Reply) -> bool {
        if self.replies.len() >= self.max_replies {
            return false;
        }
        self.replies.push_back(r);
        true
    }

    /// Queues `e`; `false` when the queue is full and it was dropped.
    #[must_use]
    pub(crate) fn event(&mut self, e: Event) -> bool {
        if self.events.len() >= self.max_events {
            return false;
        }
        self.events.push_back(e);
        true
    }

    pub(crate) fn next_reply(&mut self) -> Option<Reply> {
        self.replies.pop_front()
    }

    pub(crate) fn next_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }
}
