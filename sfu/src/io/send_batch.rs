//! Batched sends: many datagrams, each to its own address, in one
//! `sendmmsg(2)` call on Linux, with consecutive datagrams to the same peer
//! merged by UDP GSO (generic segmentation offload).
//!
//! Why both: a flush holds media for many peers, which only `sendmmsg` can
//! put in one system call; and a video frame is several packets of the same
//! size to the same subscriber, which GSO hands to the kernel as one buffer
//! (one route lookup, one socket-buffer walk) to be cut into datagrams
//! further down the stack. The receiver sees ordinary datagrams. Where the
//! kernel or the interface refuses GSO (a merged send fails where the same
//! datagrams sent one by one go), [`SendBatcher`] sends one datagram per
//! message from then on.

use std::io;

use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::core::Transmit;

/// The most datagrams one flush hands to [`SendBatcher::send_all`] at once.
pub const MAX_BATCH: usize = 64;
/// Messages per `sendmmsg` call.
const MAX_MESSAGES: usize = 32;
/// The kernel's limit on segments in one GSO send (`UDP_MAX_SEGMENTS`).
const MAX_SEGMENTS: usize = 64;
/// Bytes in one GSO send: one IP datagram's worth.
const MAX_GSO_BYTES: usize = 65_000;

/// Sends datagrams in batches; remembers whether GSO works on this socket.
pub struct SendBatcher {
    gso: bool,
}

/// A run of datagrams that leaves as one message: same destination, every
/// one the size of the first except the last, which may be shorter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    start: usize,
    len: usize,
}

impl Default for SendBatcher {
    fn default() -> Self {
        SendBatcher {
            gso: cfg!(target_os = "linux"),
        }
    }
}

impl SendBatcher {
    /// Sends every datagram it can; returns how many went out and how many
    /// failed. A datagram the kernel refuses (ICMP-induced ECONNREFUSED, a
    /// full buffer) is dropped: late media is worse than lost media, and
    /// NACK/PLI recover what matters.
    pub fn send_all(&mut self, socket: &UdpSocket, datagrams: &[Transmit]) -> (usize, usize) {
        let mut sent = 0;
        let mut failed = 0;
        let mut rest = datagrams;
        // Set when a merged run was refused: its datagrams are retried one
        // per message, and if that works GSO is what the kernel refused.
        let mut suspect_gso = false;
        while !rest.is_empty() {
            let runs = runs(rest, self.gso && !suspect_gso);
            match socket.try_io(Interest::WRITABLE, || send_runs(socket, rest, &runs)) {
                Ok(n) => {
                    if suspect_gso {
                        tracing::info!("UDP GSO refused here; sending datagrams one by one");
                        self.gso = false;
                    }
                    sent += n;
                    rest = &rest[n..];
                }
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                    // The kernel's buffer is full: waiting would only delay
                    // media further, so this flush's remainder is dropped.
                    failed += rest.len();
                    break;
                }
                Err(_) if runs[0].len > 1 => suspect_gso = true,
                Err(_) => {
                    // The first datagram failed (its peer, not GSO): skip
                    // it, go on.
                    suspect_gso = false;
                    failed += 1;
                    rest = &rest[1..];
                }
            }
        }
        (sent, failed)
    }
}

/// The runs one `sendmmsg` call sends, without allocating.
struct Runs {
    runs: [Run; MAX_MESSAGES],
    count: usize,
}

impl std::ops::Deref for Runs {
    type Target = [Run];
    fn deref(&self) -> &[Run] {
        &self.runs[..self.count]
    }
}

/// Splits the front of `datagrams` (at most `MAX_BATCH`) into at most
/// `MAX_MESSAGES` runs.
fn runs(datagrams: &[Transmit], gso: bool) -> Runs {
    let mut out = Runs {
        runs: [Run { start: 0, len: 0 }; MAX_MESSAGES],
        count: 0,
    };
    for (i, d) in datagrams.iter().enumerate().take(MAX_BATCH) {
        if out.count > 0 {
            let run = &mut out.runs[out.count - 1];
            if gso && extends(&datagrams[run.start..run.start + run.len], d) {
                run.len += 1;
                continue;
            }
        }
        if out.count == MAX_MESSAGES {
            break;
        }
        out.runs[out.count] = Run { start: i, len: 1 };
        out.count += 1;
    }
    out
}

/// Whether `next` may join `run` as one GSO send.
fn extends(run: &[Transmit], next: &Transmit) -> bool {
    let first = &run[0];
    let last = &run[run.len() - 1];
    let segment = first.data.len();
    next.to == first.to
        && last.data.len() == segment
        && next.data.len() <= segment
        && !next.data.is_empty()
        && run.len() < MAX_SEGMENTS
        && segment * (run.len() + 1) <= MAX_GSO_BYTES
}

/// Returns how many *datagrams* the kernel took (whole runs).
#[cfg(target_os = "linux")]
fn send_runs(socket: &UdpSocket, datagrams: &[Transmit], runs: &Runs) -> io::Result<usize> {
    use std::os::fd::AsRawFd;

    const CMSG_SPACE: usize = 32; // CMSG_SPACE(sizeof(u16)) is 24 on 64-bit Linux
    #[derive(Clone, Copy)]
    #[repr(C, align(8))]
    struct Control([u8; CMSG_SPACE]);

    let mut names: [std::mem::MaybeUninit<socket2::SockAddr>; MAX_MESSAGES] =
        [const { std::mem::MaybeUninit::uninit() }; MAX_MESSAGES];
    // SAFETY: zeroed iovec/mmsghdr are valid "empty" values; every field
    // used below is set before the call.
    let mut iovs: [libc::iovec; MAX_BATCH] = unsafe { std::mem::zeroed() };
    let mut headers: [libc::mmsghdr; MAX_MESSAGES] = unsafe { std::mem::zeroed() };
    let mut controls = [Control([0; CMSG_SPACE]); MAX_MESSAGES];
    let datagram_count: usize = runs.iter().map(|r| r.len).sum();
    for (iov, d) in iovs.iter_mut().zip(&datagrams[..datagram_count]) {
        *iov = libc::iovec {
            iov_base: d.data.as_ptr() as *mut libc::c_void,
            iov_len: d.data.len(),
        };
    }
    for (i, run) in runs.iter().enumerate() {
        let name = names[i].write(socket2::SockAddr::from(datagrams[run.start].to));
        let header = &mut headers[i].msg_hdr;
        header.msg_name = name.as_ptr() as *mut libc::c_void;
        header.msg_namelen = name.len();
        header.msg_iov = iovs[run.start..].as_mut_ptr();
        header.msg_iovlen = run.len as _;
        if run.len > 1 {
            let segment = datagrams[run.start].data.len() as u16;
            header.msg_control = controls[i].0.as_mut_ptr() as *mut libc::c_void;
            // SAFETY: CMSG_SPACE of a u16 fits in `Control`.
            header.msg_controllen = unsafe { libc::CMSG_SPACE(2) } as _;
            // SAFETY: msg_control points at a buffer of msg_controllen bytes,
            // aligned for cmsghdr; CMSG_FIRSTHDR is therefore non-null.
            unsafe {
                let cmsg = libc::CMSG_FIRSTHDR(header);
                (*cmsg).cmsg_level = libc::SOL_UDP;
                (*cmsg).cmsg_type = libc::UDP_SEGMENT;
                (*cmsg).cmsg_len = libc::CMSG_LEN(2) as _;
                std::ptr::write_unaligned(libc::CMSG_DATA(cmsg) as *mut u16, segment);
            }
        }
    }
    // SAFETY: the headers point into `names`, `iovs`, `controls` and the
    // callers' buffers, all alive and unmoved for the duration of the call.
    let result = unsafe {
        libc::sendmmsg(
            socket.as_raw_fd(),
            headers.as_mut_ptr(),
            runs.len() as libc::c_uint,
            libc::MSG_DONTWAIT,
        )
    };
    let result = if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(runs.iter().take(result as usize).map(|r| r.len).sum())
    };
    for name in names.iter_mut().take(runs.len()) {
        // SAFETY: the first `runs.len()` names were written above.
        unsafe { name.assume_init_drop() };
    }
    result
}

#[cfg(not(target_os = "linux"))]
fn send_runs(socket: &UdpSocket, datagrams: &[Transmit], _runs: &Runs) -> io::Result<usize> {
    socket
        .try_send_to(&datagrams[0].data, datagrams[0].to)
        .map(|_| 1)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use bytes::BytesMut;

    use super::*;

    fn transmit(to: SocketAddr, data: &[u8]) -> Transmit {
        Transmit {
            transport: crate::transport::Transport::Udp,
            to,
            data: BytesMut::from(data),
        }
    }

    #[tokio::test]
    async fn a_batch_reaches_several_receivers_intact() {
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let payloads: Vec<Vec<u8>> = (0..70u8).map(|i| vec![i; 10 + i as usize]).collect();
        let datagrams: Vec<Transmit> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let to = if i % 2 == 0 {
                    a.local_addr().unwrap()
                } else {
                    b.local_addr().unwrap()
                };
                transmit(to, p)
            })
            .collect();
        sender.writable().await.unwrap();
        let (sent, failed) = SendBatcher::default().send_all(&sender, &datagrams);
        assert_eq!((sent, failed), (70, 0));
        let mut buf = [0u8; 100];
        for i in 0..70u8 {
            let socket = if i % 2 == 0 { &a } else { &b };
            let (n, _) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], payloads[i as usize].as_slice());
        }
    }

    #[test]
    fn runs_merge_equal_sizes_to_one_peer_with_a_shorter_last() {
        let a: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2000".parse().unwrap();
        let sizes_and_peers = [
            (1000, a),
            (1000, a),
            (400, a), // a frame: two full packets and a shorter last
            (100, a), // after a shorter one: a new run
            (1000, b),
            (1200, b), // larger than the run's size: a new run
            (1200, a),
        ];
        let datagrams: Vec<Transmit> = sizes_and_peers
            .iter()
            .map(|(len, to)| transmit(*to, &vec![0u8; *len]))
            .collect();
        let merged: Vec<(usize, usize)> = runs(&datagrams, true)
            .iter()
            .map(|r| (r.start, r.len))
            .collect();
        assert_eq!(merged, vec![(0, 3), (3, 1), (4, 1), (5, 1), (6, 1)]);
        let plain = runs(&datagrams, false);
        assert!(plain.iter().all(|r| r.len == 1));
        assert_eq!(plain.len(), datagrams.len());
    }

    #[test]
    fn runs_stop_at_the_kernels_limits() {
        let a: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let small: Vec<Transmit> = (0..MAX_BATCH).map(|_| transmit(a, &[1u8; 10])).collect();
        let r = runs(&small, true);
        assert_eq!((r.len(), r[0].len), (1, MAX_SEGMENTS));
        // 1,200-byte datagrams: at most 54 fit in one 65,000-byte send.
        let big: Vec<Transmit> = (0..MAX_BATCH).map(|_| transmit(a, &[1u8; 1200])).collect();
        let r = runs(&big, true);
        assert_eq!(r[0].len, MAX_GSO_BYTES / 1200);
        assert_eq!(r.iter().map(|r| r.len).sum::<usize>(), MAX_BATCH);
    }

    #[tokio::test]
    async fn a_merged_run_arrives_as_separate_datagrams_in_order() {
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let to = receiver.local_addr().unwrap();
        let payloads: Vec<Vec<u8>> = (0..5u8)
            .map(|i| vec![i; if i == 4 { 300 } else { 1100 }])
            .collect();
        let datagrams: Vec<Transmit> = payloads.iter().map(|p| transmit(to, p)).collect();
        assert_eq!(runs(&datagrams, true).len(), 1, "one GSO send");
        sender.writable().await.unwrap();
        let mut batcher = SendBatcher::default();
        assert_eq!(batcher.send_all(&sender, &datagrams), (5, 0));
        let mut buf = [0u8; 2048];
        for p in &payloads {
            let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], p.as_slice());
        }
    }

    #[tokio::test]
    async fn a_refused_run_is_not_taken_for_a_gso_failure() {
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let bad: SocketAddr = "[::1]:9".parse().unwrap();
        let good = receiver.local_addr().unwrap();
        let datagrams = vec![
            transmit(bad, &[1; 50]),
            transmit(bad, &[2; 50]),
            transmit(good, &[3; 50]),
            transmit(good, &[4; 50]),
        ];
        sender.writable().await.unwrap();
        let mut batcher = SendBatcher::default();
        assert_eq!(batcher.send_all(&sender, &datagrams), (2, 2));
        assert!(batcher.gso, "the destination failed, not GSO");
        let mut buf = [0u8; 64];
        for fill in [3u8, 4] {
            let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], &[fill; 50]);
        }
    }

    #[tokio::test]
    async fn a_refused_destination_does_not_stop_the_rest() {
        let sender = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let receiver = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        // An IPv6 destination on an IPv4 socket fails at once (EAFNOSUPPORT
        // or EINVAL), wherever it stands in the batch.
        let bad: SocketAddr = "[::1]:9".parse().unwrap();
        let good = receiver.local_addr().unwrap();
        let datagrams = vec![
            transmit(bad, b"x"),
            transmit(good, b"one"),
            transmit(bad, b"y"),
            transmit(good, b"two"),
        ];
        sender.writable().await.unwrap();
        let (sent, failed) = SendBatcher::default().send_all(&sender, &datagrams);
        assert_eq!((sent, failed), (2, 2));
        let mut buf = [0u8; 8];
        let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one");
        let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"two");
    }
}
