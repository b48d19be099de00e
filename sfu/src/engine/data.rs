//! Data channels (twilio-video's data tracks) on a peer's SCTP association.
//!
//! A publisher opens a channel in-band (DCEP) and the engine accepts it; the
//! core learns of it as [`PeerEvent::DataChannelOpened`] with the options
//! the publisher chose, and of its messages as [`MediaIn::Data`]. For each
//! subscriber the core opens a channel of its own with the same options
//! ([`EnginePeer::open_data_channel`]) and relays the messages into it
//! ([`EnginePeer::send_data`]). Channels we opened never surface as
//! opened-by-the-remote, and what a subscriber sends on them is dropped
//! here: only a publisher's channels carry messages into the SFU.

use std::time::Instant;

use bytes::BytesMut;
use rtc::data_channel::{RTCDataChannelInit, RTCDataChannelState};
use rtc::peer_connection::event::RTCDataChannelEvent;

use super::{EngineError, EnginePeer, MediaIn, PeerEvent};

/// A data channel's handle within its peer connection.
pub type DataChannelId = usize;

/// How a data channel delivers (RFC 8831 §6.1): the publisher's choice,
/// copied onto every subscriber's channel of the track.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DataChannelOptions {
    pub ordered: bool,
    /// Partial reliability by time, milliseconds.
    pub max_packet_life_time: Option<u16>,
    /// Partial reliability by retransmissions.
    pub max_retransmits: Option<u16>,
}

/// Why a message was not relayed to one subscriber.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataSendError {
    /// The channel is not open (yet, or any more).
    NotOpen,
    /// More than [`MAX_BUFFERED_BYTES`] wait in the channel: the subscriber
    /// reads slower than the publisher writes.
    Backlogged,
    /// A text message whose bytes are not UTF-8.
    NotText,
}

/// Bytes a subscriber's channel may hold unacknowledged before its
/// messages are dropped (a stalled subscriber must not grow the server).
pub const MAX_BUFFERED_BYTES: usize = 1 << 20;

impl EnginePeer {
    /// Opens a channel to the remote (label and options as given). It
    /// opens once the SCTP association is up, which needs an
    /// `m=application` section negotiated: see [`Self::negotiated_data`].
    pub fn open_data_channel(
        &mut self,
        label: &str,
        options: DataChannelOptions,
    ) -> Result<DataChannelId, EngineError> {
        let init = RTCDataChannelInit {
            ordered: options.ordered,
            max_packet_life_time: options.max_packet_life_time,
            max_retransmits: options.max_retransmits,
            ..Default::default()
        };
        let id = self.pc.create_data_channel(label, Some(init))?.id();
        self.own_channels.insert(id);
        Ok(id)
    }

    /// Whether the current remote description has an `m=application`
    /// section (else a channel we open needs a new offer to carry it).
    pub fn negotiated_data(&self) -> bool {
        self.pc
            .remote_description()
            .is_some_and(|d| d.sdp.contains("\nm=application "))
    }

    pub fn send_data(
        &mut self,
        now: Instant,
        channel: DataChannelId,
        is_string: bool,
        data: &[u8],
    ) -> Result<(), DataSendError> {
        let mut dc = self
            .pc
            .data_channel(channel)
            .ok_or(DataSendError::NotOpen)?;
        if dc.ready_state() != RTCDataChannelState::Open {
            return Err(DataSendError::NotOpen);
        }
        if dc.outstanding_bytes() > MAX_BUFFERED_BYTES {
            return Err(DataSendError::Backlogged);
        }
        let sent = if is_string {
            let text = std::str::from_utf8(data).map_err(|_| DataSendError::NotText)?;
            dc.send_text(now, text)
        } else {
            dc.send(now, BytesMut::from(data))
        };
        sent.map_err(|_| DataSendError::NotOpen)
    }

    /// Closes a channel (ours or the remote's); it is forgotten once closed.
    pub fn close_data_channel(&mut self, channel: DataChannelId) {
        if let Some(mut dc) = self.pc.data_channel(channel) {
            let _ = dc.close();
        }
        self.own_channels.remove(&channel);
    }

    /// Translates the engine's data channel events.
    pub(super) fn on_data_channel_event(&mut self, event: RTCDataChannelEvent) {
        match event {
            RTCDataChannelEvent::OnOpen(id) if !self.own_channels.contains(&id) => {
                let Some(dc) = self.pc.data_channel(id) else {
                    return;
                };
                let opened = PeerEvent::DataChannelOpened {
                    channel: id,
                    label: dc.label().to_owned(),
                    options: DataChannelOptions {
                        ordered: dc.ordered(),
                        max_packet_life_time: dc.max_packet_life_time(),
                        max_retransmits: dc.max_retransmits(),
                    },
                };
                self.events.push_back(opened);
            }
            RTCDataChannelEvent::OnClose(id) => {
                let ours = self.own_channels.remove(&id);
                self.events
                    .push_back(PeerEvent::DataChannelClosed { channel: id, ours });
            }
            _ => {}
        }
    }

    /// A message on one of the remote's channels (ours carry nothing in).
    pub(super) fn on_data_message(
        &mut self,
        channel: DataChannelId,
        is_string: bool,
        data: BytesMut,
    ) {
        if !self.own_channels.contains(&channel) {
            self.media.push_back(MediaIn::Data {
                channel,
                is_string,
                data,
            });
        }
    }
}
