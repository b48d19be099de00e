//! Data tracks: twilio-video's `LocalDataTrack`, relayed message by message.
//!
//! A publisher opens an SCTP data channel whose label is the track's name;
//! when it opens, the track is published (`track_published` with kind
//! `data`, to the publisher too, for its SID). Each subscriber gets a
//! channel of its own from the server, labelled with the track's SID and
//! with the publisher's ordering and reliability, and every message the
//! publisher sends is copied into those channels as it came (text or
//! binary). Closing the publisher's channel unpublishes the track.
//!
//! Nothing here buffers: a message for a subscriber whose channel is not
//! open yet, or whose channel already holds
//! [`MAX_BUFFERED_BYTES`](crate::engine::MAX_BUFFERED_BYTES) unacknowledged,
//! is dropped for that subscriber and counted, as a lost datagram would
//! be. SCTP's own flow control is what slows a publisher.

use std::time::Instant;

use rustc_hash::FxHashMap;
use tracing::debug;

use super::{ParticipantKey, Sfu, TrackKey, new_sid};
use crate::engine::{DataChannelId, DataChannelOptions};
use crate::signal::{Priority, RoomEventKind, SfuError, ToParticipant, TrackInfo, TrackKind};

/// Data tracks one participant may publish at once.
pub const MAX_DATA_TRACKS: usize = 16;
/// The largest message relayed (twilio-video's documented limit is 16 KiB;
/// larger ones are dropped, not cut).
pub const MAX_DATA_MESSAGE: usize = 64 * 1024;
/// Longest track name, in bytes (as for media tracks' names).
const MAX_NAME_LEN: usize = 128;

pub(super) struct DataTrack {
    pub(super) sid: String,
    pub(super) publisher: ParticipantKey,
    pub(super) name: String,
    /// The publisher's channel.
    channel: DataChannelId,
    options: DataChannelOptions,
    /// Each subscriber's channel for it.
    subscribers: FxHashMap<ParticipantKey, DataChannelId>,
}

pub(super) fn data_track_info(track: &DataTrack) -> TrackInfo {
    TrackInfo {
        sid: track.sid.clone(),
        name: track.name.clone(),
        kind: TrackKind::Data,
        enabled: true,
        priority: Priority::Standard,
    }
}

impl Sfu {
    /// `key` opened a data channel: a data track, once its name checks.
    pub(super) fn on_data_channel_opened(
        &mut self,
        now: Instant,
        key: ParticipantKey,
        channel: DataChannelId,
        name: String,
        options: DataChannelOptions,
    ) {
        let refusal = if name.is_empty() {
            Some(SfuError::BadTrackName("a data track needs a name".into()))
        } else if name.len() > MAX_NAME_LEN {
            Some(SfuError::TrackNameTooLong(MAX_NAME_LEN))
        } else if self.publishes_name(key, &name) {
            Some(SfuError::DuplicateTrackName(name.clone()))
        } else if self.participants[&key].data_published.len() >= MAX_DATA_TRACKS {
            Some(SfuError::TooManyTracks(MAX_DATA_TRACKS))
        } else {
            None
        };
        if let Some(error) = refusal {
            let p = self.participants.get_mut(&key).expect("exists");
            p.peer.close_data_channel(channel);
            self.dirty.mark(key, &mut p.output_queued);
            self.tell_error(key, error);
            return;
        }
        debug!(participant = key, %name, ?options, "data track");
        let tk = self.next_key;
        self.next_key += 1;
        let p = self.participants.get_mut(&key).expect("exists");
        p.data_published.insert(channel, tk);
        let track = DataTrack {
            sid: new_sid("MT"),
            publisher: key,
            name,
            channel,
            options,
            subscribers: FxHashMap::default(),
        };
        let info = data_track_info(&track);
        let publisher_sid = p.sid.clone();
        let room = p.room.clone();
        self.data_tracks.insert(tk, track);
        self.room_event(key, RoomEventKind::TrackAdded, Some(info.clone()));
        let others: Vec<ParticipantKey> = self.rooms[&room].participants.clone();
        for other in others {
            // The publisher too: that is how it learns the track's SID.
            self.events.push_back((
                other,
                ToParticipant::TrackPublished {
                    participant_sid: publisher_sid.clone(),
                    track: info.clone(),
                },
            ));
            let subscribes = other != key || self.loops_back(key);
            if subscribes && self.participants[&other].negotiation.answered_first_offer {
                self.subscribe_data(other, tk);
                self.try_offer(now, other);
            }
        }
    }

    /// Whether `key` publishes a track (media or data) named `name`.
    fn publishes_name(&self, key: ParticipantKey, name: &str) -> bool {
        let p = &self.participants[&key];
        p.specs.values().any(|s| s.name == name)
            || p.data_published
                .values()
                .any(|tk| self.data_tracks.get(tk).is_some_and(|t| t.name == name))
    }

    /// Opens `key`'s channel for a data track; a new offer carries the
    /// SCTP association when its session has none yet.
    pub(super) fn subscribe_data(&mut self, key: ParticipantKey, tk: TrackKey) {
        let Some(track) = self.data_tracks.get_mut(&tk) else {
            return;
        };
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        if track.subscribers.contains_key(&key) {
            return;
        }
        match p.peer.open_data_channel(&track.sid, track.options) {
            Ok(channel) => {
                track.subscribers.insert(key, channel);
                p.data_subscribed.insert(channel, tk);
                if !p.peer.negotiated_data() {
                    p.negotiation.needs_offer = true;
                }
                self.dirty.mark(key, &mut p.output_queued);
            }
            Err(err) => debug!(%err, "cannot open a data channel"),
        }
    }

    /// A data channel of `key`'s closed: its own (the track is
    /// unpublished) or one of ours to it (that subscription ends).
    pub(super) fn on_data_channel_closed(
        &mut self,
        key: ParticipantKey,
        channel: DataChannelId,
        ours: bool,
    ) {
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        if ours {
            if let Some(tk) = p.data_subscribed.remove(&channel)
                && let Some(track) = self.data_tracks.get_mut(&tk)
            {
                track.subscribers.remove(&key);
            }
        } else if let Some(&tk) = p.data_published.get(&channel) {
            self.unpublish_data(tk);
        }
    }

    /// Ends a data track: its subscribers' channels close and they are
    /// told it went.
    pub(super) fn unpublish_data(&mut self, tk: TrackKey) {
        let Some(track) = self.data_tracks.remove(&tk) else {
            return;
        };
        self.room_event(
            track.publisher,
            RoomEventKind::TrackRemoved,
            Some(data_track_info(&track)),
        );
        let Some(publisher) = self.participants.get_mut(&track.publisher) else {
            return;
        };
        publisher.data_published.remove(&track.channel);
        publisher.peer.close_data_channel(track.channel);
        let publisher_sid = publisher.sid.clone();
        self.dirty
            .mark(track.publisher, &mut publisher.output_queued);
        for (sub, channel) in track.subscribers {
            let Some(p) = self.participants.get_mut(&sub) else {
                continue;
            };
            p.data_subscribed.remove(&channel);
            p.peer.close_data_channel(channel);
            self.dirty.mark(sub, &mut p.output_queued);
            self.events.push_back((
                sub,
                ToParticipant::TrackUnpublished {
                    participant_sid: publisher_sid.clone(),
                    track_sid: track.sid.clone(),
                },
            ));
        }
    }

    /// A departing participant's subscriptions end (its own tracks are
    /// unpublished by the caller).
    pub(super) fn drop_data_subscriptions(&mut self, key: ParticipantKey) {
        let Some(p) = self.participants.get_mut(&key) else {
            return;
        };
        for (_, tk) in p.data_subscribed.drain() {
            if let Some(track) = self.data_tracks.get_mut(&tk) {
                track.subscribers.remove(&key);
            }
        }
    }

    /// One message from a publisher, copied to the track's subscribers.
    pub(super) fn relay_data(
        &mut self,
        now: Instant,
        key: ParticipantKey,
        channel: DataChannelId,
        is_string: bool,
        data: &[u8],
    ) {
        let Some(&tk) = self
            .participants
            .get(&key)
            .and_then(|p| p.data_published.get(&channel))
        else {
            return;
        };
        self.stats.data_messages_in += 1;
        if data.len() > MAX_DATA_MESSAGE {
            self.stats.data_messages_dropped += 1;
            return;
        }
        let Sfu {
            data_tracks,
            participants,
            dirty,
            stats,
            ..
        } = self;
        let Some(track) = data_tracks.get(&tk) else {
            return;
        };
        for (sub, &sub_channel) in &track.subscribers {
            let Some(p) = participants.get_mut(sub) else {
                continue;
            };
            match p.peer.send_data(now, sub_channel, is_string, data) {
                Ok(()) => {
                    stats.data_messages_out += 1;
                    dirty.mark(*sub, &mut p.output_queued);
                }
                Err(_) => stats.data_messages_dropped += 1,
            }
        }
    }
}
