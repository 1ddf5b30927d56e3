//! Packet groups and the delay variation between them (draft-ietf-rmcat-gcc-02 section
//! 5.2): packets sent within 5 ms of a group's first packet form one group; so do
//! packets that arrive in a burst (less than 5 ms apart, and sooner than they were sent
//! apart). Between two complete groups, the arrival-time difference minus the send-time
//! difference is the one-way delay variation the trendline filter reads.
//!
//! Times are microseconds: send times in the sender's clock, arrival times in the
//! receiver's (from feedback); only differences within each clock are taken.

/// Packets sent within this of a group's first packet belong to it.
const GROUP_US: i64 = 5_000;
/// Packets arriving within this of the group's last one, and sooner than sent, are a burst.
const BURST_US: i64 = 5_000;
/// A burst is cut after this long.
const MAX_BURST_US: i64 = 100_000;

/// One packet group.
#[derive(Debug, Clone, Copy)]
struct Group {
    first_send: i64,
    last_send: i64,
    first_arrival: i64,
    last_arrival: i64,
}

impl Group {
    fn new(send: i64, arrival: i64) -> Group {
        Group {
            first_send: send,
            last_send: send,
            first_arrival: arrival,
            last_arrival: arrival,
        }
    }

    /// Whether a packet sent at `send` and arriving at `arrival` belongs to this group.
    fn takes(&self, send: i64, arrival: i64) -> bool {
        if send - self.first_send <= GROUP_US {
            return true;
        }
        let arrival_delta = arrival - self.last_arrival;
        let propagation_delta = arrival_delta - (send - self.last_send);
        propagation_delta < 0
            && arrival_delta <= BURST_US
            && arrival - self.first_arrival < MAX_BURST_US
    }
}

/// The difference between two consecutive complete groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GroupDelta {
    /// Between the groups' last send times.
    pub(crate) send_us: i64,
    /// Between the groups' last arrival times.
    pub(crate) arrival_us: i64,
    /// The later group's last arrival.
    pub(crate) arrival_time_us: i64,
}

/// Groups packets as they are acknowledged (in arrival order).
#[derive(Debug, Default)]
pub(crate) struct InterArrival {
    current: Option<Group>,
    previous: Option<Group>,
}

impl InterArrival {
    /// Takes one received packet; when it begins a new group, returns the delta between
    /// the two groups before it.
    pub(crate) fn push(&mut self, send: i64, arrival: i64) -> Option<GroupDelta> {
        let Some(current) = self.current.as_mut() else {
            self.current = Some(Group::new(send, arrival));
            return None;
        };
        if send < current.first_send {
            // Sent before the group began: reordered, says nothing of the queue.
            return None;
        }
        if current.takes(send, arrival) {
            current.last_send = current.last_send.max(send);
            current.last_arrival = current.last_arrival.max(arrival);
            return None;
        }
        let current = *current;
        let delta = self.previous.map(|p| GroupDelta {
            send_us: current.last_send - p.last_send,
            arrival_us: current.last_arrival - p.last_arrival,
            arrival_time_us: current.last_arrival,
        });
        self.previous = Some(current);
        self.current = Some(Group::new(send, arrival));
        match delta {
            // Groups out of arrival order, or a receiver clock that jumped: start over.
            Some(d) if d.arrival_us < 0 || d.send_us < 0 => {
                self.previous = None;
                None
            }
            d => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_within_5ms_form_one_group_and_deltas_span_group_ends() {
        let mut ia = InterArrival::default();
        // Group A: sent 0, 2, 4 ms; arrive 50, 52, 54 ms.
        for t in [0, 2_000, 4_000] {
            assert_eq!(ia.push(t, 50_000 + t), None);
        }
        // Group B begins at 20 ms (more than 5 ms after A's first).
        assert_eq!(
            ia.push(20_000, 71_000),
            None,
            "no previous complete group yet"
        );
        assert_eq!(ia.push(22_000, 73_000), None);
        // Group C begins: the delta is B's end minus A's end.
        let d = ia.push(40_000, 95_000).expect("a delta between A and B");
        assert_eq!(
            d,
            GroupDelta {
                send_us: 22_000 - 4_000,
                arrival_us: 73_000 - 54_000,
                arrival_time_us: 73_000
            }
        );
    }

    #[test]
    fn a_burst_that_arrives_faster_than_sent_joins_the_group() {
        let mut ia = InterArrival::default();
        ia.push(0, 100_000);
        // Sent 10 ms later but arrived 1 ms later (queued behind the first): a burst.
        assert_eq!(ia.push(10_000, 101_000), None);
        assert_eq!(ia.push(30_000, 130_000), None);
        let d = ia.push(60_000, 160_000).expect("delta");
        assert_eq!(d.send_us, 30_000 - 10_000);
        assert_eq!(d.arrival_us, 130_000 - 101_000);
    }

    #[test]
    fn groups_out_of_arrival_order_reset_the_pair() {
        let mut ia = InterArrival::default();
        // A: sent 0 and 1 ms, the second arrives 150 ms after the first.
        ia.push(0, 0);
        ia.push(1_000, 150_000);
        // B arrives before A's end, too long after A's start for a burst.
        assert_eq!(ia.push(20_000, 120_000), None);
        assert_eq!(
            ia.push(40_000, 140_000),
            None,
            "negative arrival delta dropped"
        );
        assert_eq!(ia.push(60_000, 160_000), None, "one complete group again");
        assert!(ia.push(80_000, 180_000).is_some(), "then deltas again");
    }
}
