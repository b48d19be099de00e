//! A publisher's tracks by the engine's track id: the per-packet lookup.
//!
//! The engine hands every packet of a track the same `Arc<str>` id, so the
//! ids packets arrived with recently are kept by pointer: a packet's track
//! is found by comparing addresses, not by hashing a 36-byte id and
//! comparing its bytes (about 80 instructions a packet). The map by string
//! stays the truth; the recent list is emptied whenever it changes, so a
//! track removed or announced again is never found through a stale entry,
//! and an entry holds its `Arc`, so its address cannot be reused for
//! another id while it is listed.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use super::TrackKey;

/// How many ids the recent list keeps: a publisher sends a handful of
/// tracks (audio, camera, screen; simulcast layers share one id).
const RECENT: usize = 4;

#[derive(Default)]
pub(super) struct IncomingTracks {
    by_id: FxHashMap<String, TrackKey>,
    recent: Vec<(Arc<str>, TrackKey)>,
}

impl IncomingTracks {
    pub(super) fn contains(&self, track_id: &str) -> bool {
        self.by_id.contains_key(track_id)
    }

    pub(super) fn insert(&mut self, track_id: String, track: TrackKey) {
        self.recent.clear();
        self.by_id.insert(track_id, track);
    }

    pub(super) fn remove(&mut self, track_id: &str) {
        self.recent.clear();
        self.by_id.remove(track_id);
    }

    /// The published track a packet with this id belongs to.
    pub(super) fn resolve(&mut self, track_id: &Arc<str>) -> Option<TrackKey> {
        if let Some(&(_, track)) = self.recent.iter().find(|(id, _)| Arc::ptr_eq(id, track_id)) {
            return Some(track);
        }
        let track = *self.by_id.get(&**track_id)?;
        if self.recent.len() == RECENT {
            self.recent.remove(0);
        }
        self.recent.push((track_id.clone(), track));
        Some(track)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_track_by_its_id_and_forgets_it_when_removed() {
        let mut tracks = IncomingTracks::default();
        let id: Arc<str> = Arc::from("track-a");
        assert_eq!(tracks.resolve(&id), None, "not announced yet");
        tracks.insert("track-a".into(), 7);
        assert_eq!(tracks.resolve(&id), Some(7));
        assert_eq!(tracks.resolve(&id), Some(7), "from the recent list");
        // Another Arc with the same id: found by its string.
        assert_eq!(tracks.resolve(&Arc::from("track-a")), Some(7));
        tracks.remove("track-a");
        assert!(!tracks.contains("track-a"));
        assert_eq!(tracks.resolve(&id), None, "no stale entry");
        // Announced again as another track: the new key, never the old.
        tracks.insert("track-a".into(), 9);
        assert_eq!(tracks.resolve(&id), Some(9));
    }

    #[test]
    fn the_recent_list_stays_bounded() {
        let mut tracks = IncomingTracks::default();
        let ids: Vec<Arc<str>> = (0..10).map(|i| Arc::from(format!("t{i}"))).collect();
        for (i, id) in ids.iter().enumerate() {
            tracks.insert(id.to_string(), i as TrackKey);
        }
        for _ in 0..3 {
            for (i, id) in ids.iter().enumerate() {
                assert_eq!(tracks.resolve(id), Some(i as TrackKey));
                assert!(tracks.recent.len() <= RECENT);
            }
        }
    }
}
