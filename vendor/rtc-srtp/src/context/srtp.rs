use super::*;
use shared::{
    error::{Error, Result},
    marshal::{MarshalSize, Unmarshal},
};

use bytes::BytesMut;

impl Context {
    /// Decrypts an SRTP packet whose header has already been parsed.
    ///
    /// Saves re-parsing when the caller needed the header to route the packet. The header must
    /// be the one belonging to `encrypted`.
    ///
    /// # Errors
    ///
    /// Fails if authentication fails, if the packet is a replay, or if it is too short to hold
    /// the profile's auth tag.
    pub fn decrypt_rtp_with_header(
        &mut self,
        encrypted: &[u8],
        header: &rtp::Header,
    ) -> Result<BytesMut> {
        let auth_tag_len = self.cipher.rtp_auth_tag_len();
        if encrypted.len() < header.marshal_size() + auth_tag_len {
            return Err(Error::ErrTooShortRtp);
        }

        let state = self.get_srtp_ssrc_state(header.ssrc);
        let (roc, diff, _) = state.next_rollover_count(header.sequence_number);
        if let Some(replay_detector) = &mut state.replay_detector
            && !replay_detector.check(header.sequence_number as u64)
        {
            return Err(Error::SrtpSsrcDuplicated(
                header.ssrc,
                header.sequence_number,
            ));
        }

        let dst = self.cipher.decrypt_rtp(encrypted, header, roc)?;
        {
            let state = self.get_srtp_ssrc_state(header.ssrc);
            if let Some(replay_detector) = &mut state.replay_detector {
                replay_detector.accept();
            }
            state.update_rollover_count(header.sequence_number, diff);
        }

        Ok(dst)
    }

    /// DecryptRTP decrypts a RTP packet with an encrypted payload
    pub fn decrypt_rtp(&mut self, encrypted: &[u8]) -> Result<BytesMut> {
        let mut buf = encrypted;
        let header = rtp::Header::unmarshal(&mut buf)?;
        self.decrypt_rtp_with_header(encrypted, &header)
    }

    /// Encrypts an RTP payload, using an already-parsed header.
    ///
    /// Saves re-parsing when the caller has just built the header. Returns the full protected
    /// packet, header included.
    ///
    /// # Errors
    ///
    /// Fails if the SRTP context has no key for this SSRC or the cipher rejects the input.
    pub fn encrypt_rtp_with_header(
        &mut self,
        plaintext: &[u8],
        header: &rtp::Header,
    ) -> Result<BytesMut> {
        let (roc, diff, ovf) = self
            .get_srtp_ssrc_state(header.ssrc)
            .next_rollover_count(header.sequence_number);
        if ovf {
            // ... when 2^48 SRTP packets or 2^31 SRTCP packets have been secured with the same key
            // (whichever occurs before), the key management MUST be called to provide new master key(s)
            // (previously stored and used keys MUST NOT be used again), or the session MUST be terminated.
            // https://www.rfc-editor.org/rfc/rfc3711#section-9.2
            return Err(Error::ErrExceededMaxPackets);
        }

        let dst = self.cipher.encrypt_rtp(plaintext, header, roc)?;

        self.get_srtp_ssrc_state(header.ssrc)
            .update_rollover_count(header.sequence_number, diff);

        Ok(dst)
    }

    /// EncryptRTP marshals and encrypts an RTP packet, writing to the dst buffer provided.
    /// If the dst buffer does not have the capacity to hold `len(plaintext) + 10` bytes, a new one will be allocated and returned.
    pub fn encrypt_rtp(&mut self, plaintext: &[u8]) -> Result<BytesMut> {
        let mut buf = plaintext;
        let header = rtp::Header::unmarshal(&mut buf)?;
        self.encrypt_rtp_with_header(plaintext, &header)
    }

    /// Decrypts an SRTP packet in place: on success `packet` holds the RTP packet, header and
    /// plaintext payload, its auth tag removed. Nothing is allocated.
    ///
    /// The replay and rollover state advance only when the packet authenticates, as with
    /// [`Self::decrypt_rtp`]. On failure the contents of `packet` are unspecified.
    ///
    /// # Errors
    ///
    /// Fails if the packet is too short for its header and the profile's tag, if it is a
    /// replay, or if authentication fails.
    pub fn decrypt_rtp_in_place(&mut self, packet: &mut BytesMut) -> Result<()> {
        let header_len = rtp_header_len(packet)?;
        let tag_len = self.cipher.rtp_auth_tag_len() + self.cipher.aead_auth_tag_len();
        if packet.len() < header_len + tag_len {
            return Err(Error::ErrTooShortRtp);
        }
        let (ssrc, sequence_number) = ssrc_and_sequence_number(packet);

        // One lookup of the SSRC's state for the whole packet: the cipher is
        // a field of its own, so the state stays borrowed across it.
        let state = srtp_ssrc_state(
            &mut self.srtp_ssrc_states,
            &self.new_srtp_replay_detector,
            ssrc,
        );
        let (roc, diff, _) = state.next_rollover_count(sequence_number);
        if let Some(replay_detector) = &mut state.replay_detector
            && !replay_detector.check(sequence_number as u64)
        {
            return Err(Error::SrtpSsrcDuplicated(ssrc, sequence_number));
        }

        self.cipher
            .decrypt_rtp_in_place(packet, header_len, ssrc, sequence_number, roc)?;

        if let Some(replay_detector) = &mut state.replay_detector {
            replay_detector.accept();
        }
        state.update_rollover_count(sequence_number, diff);
        Ok(())
    }

    /// Encrypts an RTP packet in place: the payload is encrypted and the auth tag appended.
    /// Nothing is allocated when `packet` has [`Self::rtp_auth_tag_len`] bytes of spare
    /// capacity.
    ///
    /// # Errors
    ///
    /// Fails if `packet` is shorter than its RTP header, or when the rollover counter is
    /// exhausted (RFC 3711 §9.2).
    pub fn encrypt_rtp_in_place(&mut self, packet: &mut BytesMut) -> Result<()> {
        let header_len = rtp_header_len(packet)?;
        let (ssrc, sequence_number) = ssrc_and_sequence_number(packet);
        let state = srtp_ssrc_state(
            &mut self.srtp_ssrc_states,
            &self.new_srtp_replay_detector,
            ssrc,
        );
        let (roc, diff, ovf) = state.next_rollover_count(sequence_number);
        if ovf {
            return Err(Error::ErrExceededMaxPackets);
        }

        self.cipher
            .encrypt_rtp_in_place(packet, header_len, ssrc, sequence_number, roc)?;

        state.update_rollover_count(sequence_number, diff);
        Ok(())
    }

    /// The bytes protecting an RTP packet adds: its auth tag (HMAC or AEAD).
    pub fn rtp_auth_tag_len(&self) -> usize {
        self.cipher.rtp_auth_tag_len() + self.cipher.aead_auth_tag_len()
    }
}

/// [`Context::get_srtp_ssrc_state`] on the two fields it uses, so that the
/// in-place functions can hold the state while they use the cipher.
fn srtp_ssrc_state<'a>(
    states: &'a mut HashMap<u32, SrtpSsrcState>,
    new_replay_detector: &ContextOption,
    ssrc: u32,
) -> &'a mut SrtpSsrcState {
    states.entry(ssrc).or_insert_with(|| SrtpSsrcState {
        ssrc,
        replay_detector: Some(new_replay_detector()),
        ..Default::default()
    })
}

/// The length of the RTP header at the start of `packet` (fixed part, CSRCs and extension
/// block), as its first octets declare it.
fn rtp_header_len(packet: &[u8]) -> Result<usize> {
    const FIXED: usize = 12;
    if packet.len() < FIXED {
        return Err(Error::ErrHeaderSizeInsufficient);
    }
    let mut len = FIXED + 4 * usize::from(packet[0] & 0x0f);
    if packet[0] & 0x10 != 0 {
        if packet.len() < len + 4 {
            return Err(Error::ErrHeaderSizeInsufficientForExtension);
        }
        len += 4 + 4 * usize::from(u16::from_be_bytes([packet[len + 2], packet[len + 3]]));
    }
    if packet.len() < len {
        return Err(Error::ErrHeaderSizeInsufficient);
    }
    Ok(len)
}

/// The SSRC and sequence number of an RTP packet at least 12 octets long.
fn ssrc_and_sequence_number(packet: &[u8]) -> (u32, u16) {
    (
        u32::from_be_bytes([packet[8], packet[9], packet[10], packet[11]]),
        u16::from_be_bytes([packet[2], packet[3]]),
    )
}
