//! The recorder on a real wren-netsim bottleneck, and the scenarios' phases applied to a
//! host's link.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wren_bwe_scenario::{Recorder, SAMPLE_EVERY, Scenario, report};
use wren_core::{Datagram, Machine, Transmit, Transport};
use wren_netsim::{HostConfig, LinkConfig, Sim};

/// Sends `n` packets of 1,222 bytes (1,250 on the wire: 10 ms at 1 Mbit/s) at once.
struct Flood {
    n: usize,
    from: SocketAddr,
    to: SocketAddr,
}

impl Machine for Flood {
    type Event = Infallible;
    type Command = Infallible;
    type Error = Infallible;
    fn handle_datagram(&mut self, _: Instant, _: Datagram<'_>) {}
    fn handle_command(&mut self, _: Instant, c: Infallible) -> Result<(), Infallible> {
        match c {}
    }
    fn handle_timeout(&mut self, _: Instant) {}
    fn poll_transmit(&mut self, _: Instant, buf: &mut Vec<u8>) -> Option<Transmit> {
        self.n = self.n.checked_sub(1)?;
        buf.resize(1222, 0);
        Some(Transmit::new(Transport::Udp, Some(self.from), self.to))
    }
    fn poll_event(&mut self) -> Option<Infallible> {
        None
    }
    fn poll_timeout(&self) -> Option<Instant> {
        None
    }
}

#[allow(clippy::disallowed_methods)] // the anchor of a virtual clock
fn t0() -> Instant {
    Instant::now()
}

#[test]
fn samples_read_the_queue_and_the_send_rate_over_500_ms() {
    let scenario = Scenario::bottleneck();
    let start = t0();
    let mut sim = Sim::new(1, start);
    let from: SocketAddr = "10.0.0.1:1".parse().expect("addr");
    let to: SocketAddr = "10.0.0.2:1".parse().expect("addr");
    let hs = sim.add_host(HostConfig::public(from.ip()));
    let hr = sim.add_host(HostConfig::public(to.ip()).with_link(LinkConfig::ideal()));
    scenario
        .apply(&mut sim, hs, Duration::ZERO)
        .expect("a host");
    let mut rec = Recorder::new(&scenario, "test", &mut sim, hs);
    let sink = sim.add_machine(
        hr,
        Flood {
            n: 0,
            from: to,
            to: from,
        },
    );
    sim.listen(sink, to, Transport::Udp).expect("free");
    let flood = sim.add_machine(hs, Flood { n: 0, from, to });
    sim.listen(flood, from, Transport::Udp).expect("free");
    // 40 packets at once: packet k starts serializing at k * 10 ms; the queue bound of 50
    // holds them all.
    sim.with(flood, |f: &mut Flood, _| f.n = 40);
    // The application says it sent 12,500 bytes every 100 ms: 1 Mbit/s.
    let mut sent = 0;
    for _ in 0..10 {
        let at = rec.next_at();
        sim.run_until(start + at);
        sent += 12_500;
        rec.sample(&mut sim, 1_000_000, sent);
    }
    let s = &rec.recording().samples;
    assert_eq!(s.len(), 10);
    assert_eq!(s[0].t, SAMPLE_EVERY);
    assert!(s.iter().all(|x| (x.send_bps - 1e6).abs() < 1e-6), "{s:?}");
    assert!(s.iter().all(|x| x.capacity_bps == 1e6));
    // At 100 ms packet 10 has just started (after waiting 100 ms) and 29 wait behind it:
    // a packet arriving now would wait 10 + 29 * 10 ms, more than any waited so far.
    assert_eq!(s[0].queue_delay, Duration::from_millis(300));
    // At 400 ms packet 39 (the last) started after 390 ms; nothing waits after it.
    assert_eq!(s[3].queue_delay, Duration::from_millis(390));
    // From 500 ms on the queue is empty and nothing waited since the last sample.
    assert_eq!(s[5].queue_delay, Duration::ZERO);
    let csv = report::table(rec.recording()).expect("rows").to_csv();
    assert!(csv.starts_with("time_s,estimate_kbps,send_kbps,queue_delay_ms,capacity_kbps\n"));
    assert!(csv.contains("\n0.1,1000,1000,300,1000\n"), "{csv}");
}

#[test]
fn apply_sets_the_link_of_the_phase_in_force() {
    let scenario = Scenario::bottleneck();
    let mut sim = Sim::new(2, t0());
    let h = sim.add_host(HostConfig::public("10.0.0.1".parse().expect("ip")));
    let rate = |sim: &Sim| sim.link(h).rate_bps.map(|r| r.get());
    assert_eq!(rate(&sim), None);
    scenario.apply(&mut sim, h, Duration::ZERO).expect("a host");
    assert_eq!(rate(&sim), Some(1_000_000));
    assert_eq!(sim.link(h).queue_packets, Some(50));
    assert_eq!(sim.link(h).delay, Duration::from_millis(25));
    scenario
        .apply(&mut sim, h, Duration::from_millis(29_900))
        .expect("a host");
    assert_eq!(rate(&sim), Some(1_000_000));
    scenario
        .apply(&mut sim, h, Duration::from_secs(30))
        .expect("a host");
    assert_eq!(rate(&sim), Some(300_000));
    assert_eq!(scenario.capacity_at(Duration::from_secs(44)), 300_000);
    let loss = Scenario::loss();
    assert_eq!(loss.phases[0].link.loss, 0.05);
    assert_eq!(loss.duration, Duration::from_secs(30));
}

#[test]
fn drive_starts_media_once_and_samples_the_whole_scenario_with_the_phases() {
    let scenario = Scenario::bottleneck();
    let start = t0();
    let mut sim = Sim::new(3, start);
    let from: SocketAddr = "10.0.0.1:1".parse().expect("addr");
    let hs = sim.add_host(HostConfig::public(from.ip()));
    let mut starts = 0;
    let mut reads = 0u64;
    let rec = wren_bwe_scenario::drive(
        &scenario,
        "test",
        &mut sim,
        hs,
        |_| starts += 1,
        |sim| {
            reads += 1;
            // 1,000 bytes before time 0 (not counted), then 12,500 per 100 ms.
            let since = sim.now().duration_since(start).as_millis() as u64;
            wren_bwe_scenario::Reading {
                estimate_bps: if since < 30_000 { 1_000_000 } else { 300_000 },
                bytes_sent: 1_000 + since / 100 * 12_500,
            }
        },
    )
    .expect("a host");
    assert_eq!(starts, 1);
    assert_eq!(reads, 451, "the base at 0, then one per sample");
    assert_eq!(rec.samples.len(), 450);
    assert_eq!(rec.samples[449].t, Duration::from_secs(45));
    assert!(rec.samples.iter().all(|s| (s.send_bps - 1e6).abs() < 1e-6));
    assert_eq!(rec.samples[298].capacity_bps, 1e6, "29.9 s");
    assert_eq!(rec.samples[299].capacity_bps, 3e5, "30 s");
    assert_eq!(sim.link(hs).rate_bps.map(|r| r.get()), Some(300_000));
    assert_eq!(rec.stack, "test");
}
