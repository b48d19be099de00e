//! The one UDP socket, bound with kernel buffers large enough for bursts:
//! a keyframe from every publisher at once, or a flood of junk, would
//! otherwise overflow Linux's default ~208 KB receive buffer and the kernel
//! would drop real calls' packets with it.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};
use tracing::{info, warn};

/// What the kernel granted (Linux reports twice the bytes asked for: it
/// counts its own bookkeeping).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buffers {
    pub receive: usize,
    pub send: usize,
}

/// Binds `addr` non-blocking with `buffer_bytes` asked for each way; warns
/// when the kernel's ceiling (`net.core.rmem_max`/`wmem_max`) cut it down.
pub fn bind(addr: SocketAddr, buffer_bytes: usize) -> io::Result<(std::net::UdpSocket, Buffers)> {
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if buffer_bytes > 0 {
        socket.set_recv_buffer_size(buffer_bytes)?;
        socket.set_send_buffer_size(buffer_bytes)?;
    }
    socket.bind(&addr.into())?;
    socket.set_nonblocking(true)?;
    let buffers = Buffers {
        receive: socket.recv_buffer_size()?,
        send: socket.send_buffer_size()?,
    };
    if buffer_bytes > 0 && buffers.receive < buffer_bytes {
        warn!(
            asked = buffer_bytes,
            granted = buffers.receive,
            "the kernel capped the media socket's receive buffer; raise net.core.rmem_max \
             (sysctl -w net.core.rmem_max={buffer_bytes}) so bursts are not dropped"
        );
    }
    if buffer_bytes > 0 && buffers.send < buffer_bytes {
        warn!(
            asked = buffer_bytes,
            granted = buffers.send,
            "the kernel capped the media socket's send buffer; raise net.core.wmem_max"
        );
    }
    info!(
        receive = buffers.receive,
        send = buffers.send,
        "media socket buffers"
    );
    Ok((socket.into(), buffers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kernel_max(name: &str) -> usize {
        std::fs::read_to_string(format!("/proc/sys/net/core/{name}"))
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(usize::MAX)
    }

    #[test]
    fn asks_the_kernel_for_the_configured_buffers() {
        let asked = 1 << 20;
        let (socket, buffers) = bind("127.0.0.1:0".parse().unwrap(), asked).unwrap();
        assert!(socket.local_addr().unwrap().port() > 0);
        // Granted: what was asked, up to the kernel's ceiling (Linux then
        // doubles it for its bookkeeping).
        assert!(
            buffers.receive >= asked.min(kernel_max("rmem_max")),
            "{buffers:?}"
        );
        assert!(
            buffers.send >= asked.min(kernel_max("wmem_max")),
            "{buffers:?}"
        );
        let (_, default) = bind("127.0.0.1:0".parse().unwrap(), 0).unwrap();
        assert!(default.receive > 0);
    }
}
