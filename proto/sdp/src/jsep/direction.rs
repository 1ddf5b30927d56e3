//! The direction an answer states (RFC 3264 s6.1, RFC 9429 s5.3.1): what we wish for the
//! section, limited by what the offer allows.

use crate::Direction;

/// The answer's direction for an offered `offered` when we wish `wish`: we send only if
/// we wish to and the offerer receives, we receive only if we wish to and the offerer
/// sends. `sendonly` is answered `recvonly` (or `inactive`), `recvonly` is answered
/// `sendonly` (or `inactive`), `inactive` is answered `inactive`, and `sendrecv` is
/// answered with our wish.
#[must_use]
pub fn answer_direction(offered: Direction, wish: Direction) -> Direction {
    let send = wish.sends() && offered.receives();
    let recv = wish.receives() && offered.sends();
    match (send, recv) {
        (true, true) => Direction::SendRecv,
        (true, false) => Direction::SendOnly,
        (false, true) => Direction::RecvOnly,
        (false, false) => Direction::Inactive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{Inactive, RecvOnly, SendOnly, SendRecv};

    #[test]
    fn the_rfc_3264_table() {
        let all = [SendRecv, SendOnly, RecvOnly, Inactive];
        for wish in all {
            assert_eq!(answer_direction(SendRecv, wish), wish);
            assert_eq!(answer_direction(Inactive, wish), Inactive);
        }
        assert_eq!(answer_direction(SendOnly, SendRecv), RecvOnly);
        assert_eq!(answer_direction(SendOnly, SendOnly), Inactive);
        assert_eq!(answer_direction(RecvOnly, SendRecv), SendOnly);
        assert_eq!(answer_direction(RecvOnly, RecvOnly), Inactive);
    }
}
