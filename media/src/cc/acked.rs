//! The acknowledged bitrate: what the receiver got, from the arrival times and sizes in
//! feedback, over the last 500 ms of its clock (ten buckets of 50 ms, no allocation).
//! At a bottleneck this is the link's rate, which AIMD decreases from.

/// Bucket length, microseconds.
const BUCKET_US: i64 = 50_000;
/// Buckets in the window.
const BUCKETS: usize = 10;
/// Shortest span a rate is given for.
const MIN_SPAN_US: i64 = 100_000;

/// Bytes per arrival-time bucket.
#[derive(Debug, Default)]
pub(crate) struct AckedRate {
    bytes: [u64; BUCKETS],
    /// The bucket number (arrival / 50 ms) each slot holds.
    index: [i64; BUCKETS],
    newest: Option<i64>,
    first_arrival_us: Option<i64>,
    last_arrival_us: i64,
}

impl AckedRate {
    /// Counts `bytes` that arrived at `arrival_us`.
    pub(crate) fn push(&mut self, arrival_us: i64, bytes: u64) {
        let b = arrival_us.div_euclid(BUCKET_US);
        let newest = *self.newest.get_or_insert(b);
        if b + (BUCKETS as i64) <= newest {
            return; // older than the window
        }
        if b > newest {
            // Clear the slots the window moved past.
            for k in (newest + 1).max(b - BUCKETS as i64 + 1)..=b {
                let slot = k.rem_euclid(BUCKETS as i64) as usize;
                self.bytes[slot] = 0;
                self.index[slot] = k;
            }
            self.newest = Some(b);
        }
        let slot = b.rem_euclid(BUCKETS as i64) as usize;
        if self.index[slot] != b {
            self.index[slot] = b;
            self.bytes[slot] = 0;
        }
        self.bytes[slot] += bytes;
        self.first_arrival_us.get_or_insert(arrival_us);
        self.last_arrival_us = self.last_arrival_us.max(arrival_us);
    }

    /// The rate in bit/s over the window, once 100 ms of arrivals are in it.
    pub(crate) fn bitrate(&self) -> Option<f64> {
        let newest = self.newest?;
        let first = self.first_arrival_us?;
        let oldest = newest - BUCKETS as i64 + 1;
        let start = first.max(oldest * BUCKET_US);
        let span = self.last_arrival_us - start;
        if span < MIN_SPAN_US {
            return None;
        }
        let total: u64 = (0..BUCKETS)
            .filter(|&s| self.index[s] >= oldest && self.index[s] <= newest)
            .map(|s| self.bytes[s])
            .sum();
        Some(total as f64 * 8.0 * 1e6 / span as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_stream_gives_its_rate() {
        let mut a = AckedRate::default();
        // 1000 bytes every 10 ms = 800 kbit/s, for 2 s.
        for i in 0..200 {
            a.push(i * 10_000, 1000);
        }
        let r = a.bitrate().expect("rate");
        assert!((r - 800_000.0).abs() / 800_000.0 < 0.05, "{r}");
    }

    #[test]
    fn no_rate_before_100ms_and_old_data_leaves_the_window() {
        let mut a = AckedRate::default();
        a.push(0, 1000);
        a.push(50_000, 1000);
        assert_eq!(a.bitrate(), None);
        for i in 0..100 {
            a.push(100_000 + i * 10_000, 1000);
        }
        // Then the rate halves: 1000 bytes every 20 ms = 400 kbit/s.
        for i in 0..100 {
            a.push(1_200_000 + i * 20_000, 1000);
        }
        let r = a.bitrate().expect("rate");
        assert!((r - 400_000.0).abs() / 400_000.0 < 0.1, "{r}");
    }
}
