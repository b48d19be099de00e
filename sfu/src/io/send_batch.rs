//! Batched sends: many datagrams, each to its own address, in one
//! `sendmmsg(2)` call on Linux. Media goes to many peers with different
//! sizes, which GSO cannot merge, but `sendmmsg` can: one system call for a
//! whole flush instead of one per datagram.

use std::io;

use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::core::Transmit;

/// The most datagrams one call hands to the kernel.
pub const MAX_BATCH: usize = 32;

/// Sends every datagram it can; returns how many went out and how many
/// failed. A datagram the kernel refuses (ICMP-induced ECONNREFUSED, a full
/// buffer) is dropped: late media is worse than lost media, and NACK/PLI
/// recover what matters.
pub fn send_all(socket: &UdpSocket, datagrams: &[Transmit]) -> (usize, usize) {
    let mut sent = 0;
    let mut failed = 0;
    let mut rest = datagrams;
    while !rest.is_empty() {
        let chunk = &rest[..rest.len().min(MAX_BATCH)];
        match socket.try_io(Interest::WRITABLE, || send_batch(socket, chunk)) {
            Ok(n) => {
                sent += n;
                rest = &rest[n..];
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                // The kernel's buffer is full: waiting would only delay
                // media further, so this flush's remainder is dropped.
                failed += rest.len();
                break;
            }
            Err(_) => {
                // The first datagram of the chunk failed: skip it, go on.
                failed += 1;
                rest = &rest[1..];
            }
        }
    }
    (sent, failed)
}

#[cfg(target_os = "linux")]
fn send_batch(socket: &UdpSocket, chunk: &[Transmit]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;

    let mut names: [std::mem::MaybeUninit<socket2::SockAddr>; MAX_BATCH] =
        [const { std::mem::MaybeUninit::uninit() }; MAX_BATCH];
    // SAFETY: zeroed iovec/mmsghdr are valid "empty" values; every field
    // used below is set before the call.
    let mut iovs: [libc::iovec; MAX_BATCH] = unsafe { std::mem::zeroed() };
    let mut headers: [libc::mmsghdr; MAX_BATCH] = unsafe { std::mem::zeroed() };
    let n = chunk.len().min(MAX_BATCH);
    for (i, Transmit { to, data }) in chunk.iter().take(n).enumerate() {
        let name = names[i].write(socket2::SockAddr::from(*to));
        iovs[i] = libc::iovec {
            iov_base: data.as_ptr() as *mut libc::c_void,
            iov_len: data.len(),
        };
        headers[i].msg_hdr.msg_name = name.as_ptr() as *mut libc::c_void;
        headers[i].msg_hdr.msg_namelen = name.len();
        headers[i].msg_hdr.msg_iov = &mut iovs[i];
        headers[i].msg_hdr.msg_iovlen = 1;
    }
    // SAFETY: `headers[..n]` point into `names`, `iovs` and the callers'
    // buffers, all alive and unmoved for the duration of the call.
    let result = unsafe {
        libc::sendmmsg(
            socket.as_raw_fd(),
            headers.as_mut_ptr(),
            n as libc::c_uint,
            libc::MSG_DONTWAIT,
        )
    };
    for name in names.iter_mut().take(n) {
        // SAFETY: the first `n` names were written above.
        unsafe { name.assume_init_drop() };
    }
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result as usize)
    }
}

#[cfg(not(target_os = "linux"))]
fn send_batch(socket: &UdpSocket, chunk: &[Transmit]) -> io::Result<usize> {
    socket.try_send_to(&chunk[0].data, chunk[0].to).map(|_| 1)
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use bytes::BytesMut;

    use super::*;

    fn transmit(to: SocketAddr, data: &[u8]) -> Transmit {
        Transmit {
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
        let (sent, failed) = send_all(&sender, &datagrams);
        assert_eq!((sent, failed), (70, 0));
        let mut buf = [0u8; 100];
        for i in 0..70u8 {
            let socket = if i % 2 == 0 { &a } else { &b };
            let (n, _) = socket.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], payloads[i as usize].as_slice());
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
        let (sent, failed) = send_all(&sender, &datagrams);
        assert_eq!((sent, failed), (2, 2));
        let mut buf = [0u8; 8];
        let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"one");
        let (n, _) = receiver.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"two");
    }
}
