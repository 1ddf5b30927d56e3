//! What the run reads from /proc: CPU time of a process (all its threads), and the drop
//! counters of UDP sockets.

/// utime + stime of process `pid`, all threads, in seconds (None once it is gone).
pub(crate) fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces and parentheses): field 3
    // (state) is index 0, so utime (14) and stime (15) are indexes 11 and 12.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / crate::sys::clock_ticks())
}

/// The summed `drops` column of every IPv4 UDP socket bound to local `port` (datagrams the
/// kernel dropped because the socket's receive buffer was full).
pub(crate) fn udp_drops(port: u16) -> u64 {
    let Ok(table) = std::fs::read_to_string("/proc/net/udp") else {
        return 0;
    };
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let local = cols.get(1)?;
            let p = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
            (p == port).then(|| cols.last()?.parse::<u64>().ok())?
        })
        .sum()
}
