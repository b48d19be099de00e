//! TURN over TCP and TLS is a byte stream of whole STUN messages and
//! ChannelData messages, back to back (RFC 8656 §12.5): a STUN message is
//! its 20-byte header plus the length in it; ChannelData is 4 bytes plus
//! its length, padded to a multiple of 4 on a stream.

use bytes::BytesMut;
use tokio_util::codec::Decoder;

/// Frames longer than this close the connection: browsers relay media
/// datagrams (under 1,500 bytes) and small STUN requests.
pub const MAX_FRAME: usize = 4096;

#[derive(Default)]
pub struct TurnFrames;

impl Decoder for TurnFrames {
    type Item = BytesMut;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<BytesMut>, std::io::Error> {
        if src.len() < 4 {
            return Ok(None);
        }
        let length = u16::from_be_bytes([src[2], src[3]]) as usize;
        let frame = match src[0] >> 6 {
            0b00 => 20 + length,
            0b01 => 4 + length.next_multiple_of(4),
            _ => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "neither STUN nor ChannelData",
                ));
            }
        };
        if frame > MAX_FRAME {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "TURN frame too long",
            ));
        }
        if src.len() < frame {
            src.reserve(frame - src.len());
            return Ok(None);
        }
        Ok(Some(src.split_to(frame)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_stun_and_padded_channel_data() {
        let mut stream = BytesMut::new();
        // A STUN header with 4 bytes of attributes.
        stream.extend_from_slice(&[0x00, 0x01, 0x00, 0x04]);
        stream.extend_from_slice(&[0x21, 0x12, 0xA4, 0x42]);
        stream.extend_from_slice(&[0; 12]);
        stream.extend_from_slice(&[1, 2, 3, 4]);
        // ChannelData of 5 bytes, padded to 8.
        stream.extend_from_slice(&[0x40, 0x00, 0x00, 0x05, 9, 9, 9, 9, 9, 0, 0]);
        let mut frames = TurnFrames;
        assert_eq!(frames.decode(&mut stream).unwrap().unwrap().len(), 24);
        assert!(
            frames.decode(&mut stream).unwrap().is_none(),
            "one byte short"
        );
        stream.extend_from_slice(&[0]);
        assert_eq!(frames.decode(&mut stream).unwrap().unwrap().len(), 12);
        assert!(stream.is_empty());
        stream.extend_from_slice(b"GET / HTTP/1.1\r\n");
        assert!(frames.decode(&mut stream).is_err());
        let mut long = BytesMut::from(&[0x00, 0x01, 0xFF, 0xF0][..]);
        assert!(frames.decode(&mut long).is_err());
    }
}
