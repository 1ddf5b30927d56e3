//! The agent's STUN messages: the writers live in [`crate::message`], shared with the
//! ICE-lite server.

pub(crate) use crate::message::{
    CheckRequest, write_check, write_error, write_keepalive, write_success,
};
