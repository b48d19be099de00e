//! Which media worker holds each room.
//!
//! A room lives on one worker, so its packets never cross threads. It is
//! placed when something first asks for it (a join, or the REST API
//! registering it) on the worker with the least load: participants now,
//! plus joins on their way there, then fewest rooms. It stays there while
//! the worker's core holds it, and is released once the core has no such
//! room and no command for it is on its way: the worker checks both under
//! the same lock the handle places under, so a join sent to a room that is
//! ending is never split from a later one placed elsewhere.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// One placed room.
struct Placed {
    worker: usize,
    /// Commands sent to the worker for this room and not yet handled.
    in_flight: usize,
}

#[derive(Default)]
struct Table {
    rooms: HashMap<String, Placed>,
}

pub(super) struct RoomPlacements {
    table: Mutex<Table>,
    /// Participants each worker's core holds (the worker stores it after
    /// each command and timer).
    participants: Vec<AtomicUsize>,
    /// Workers whose thread ended (a bug: a panic): nothing is placed on
    /// them again, and their rooms are placed afresh when next asked for.
    stopped: Vec<AtomicBool>,
}

impl RoomPlacements {
    pub fn new(workers: usize) -> RoomPlacements {
        RoomPlacements {
            table: Mutex::default(),
            participants: (0..workers).map(|_| AtomicUsize::new(0)).collect(),
            stopped: (0..workers).map(|_| AtomicBool::new(false)).collect(),
        }
    }

    pub fn workers(&self) -> usize {
        self.participants.len()
    }

    /// Sends a command about `room` to its worker (`send` gets the index
    /// and says whether the worker took it). An unplaced room is placed
    /// first when `place`, else nothing is sent and `None` returned.
    pub fn route(
        &self,
        room: &str,
        place: bool,
        send: impl FnOnce(usize) -> bool,
    ) -> Option<usize> {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let worker = match table.rooms.get(room) {
            Some(placed) if !self.is_stopped(placed.worker) => placed.worker,
            // Its worker's thread ended: the room went with it.
            Some(_) if place => {
                table.rooms.remove(room);
                self.least_loaded(&table)
            }
            Some(_) => return None,
            None if place => self.least_loaded(&table),
            None => return None,
        };
        if !send(worker) {
            return None;
        }
        table
            .rooms
            .entry(room.to_owned())
            .or_insert(Placed {
                worker,
                in_flight: 0,
            })
            .in_flight += 1;
        Some(worker)
    }

    /// The worker a room-less session (a connectivity test) goes to.
    pub fn least_loaded_worker(&self) -> usize {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        self.least_loaded(&table)
    }

    fn least_loaded(&self, table: &Table) -> usize {
        let mut joining = vec![0usize; self.workers()];
        let mut rooms = vec![0usize; self.workers()];
        for placed in table.rooms.values() {
            joining[placed.worker] += placed.in_flight;
            rooms[placed.worker] += 1;
        }
        (0..self.workers())
            .filter(|&w| !self.is_stopped(w))
            .min_by_key(|&w| {
                let now = self.participants[w].load(Ordering::Relaxed);
                (now + joining[w], rooms[w])
            })
            .unwrap_or(0)
    }

    /// `worker` handled a routed command for `room`; `live` says whether
    /// its core still holds the room.
    pub fn handled(&self, room: &str, worker: usize, live: bool) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(placed) = table.rooms.get_mut(room)
            && placed.worker == worker
        {
            placed.in_flight = placed.in_flight.saturating_sub(1);
            if placed.in_flight == 0 && !live {
                table.rooms.remove(room);
            }
        }
    }

    /// `worker`'s core ended `room` on its own (its last participant left,
    /// or a timer removed them): released unless a command is on its way.
    pub fn ended(&self, room: &str, worker: usize) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if table
            .rooms
            .get(room)
            .is_some_and(|p| p.worker == worker && p.in_flight == 0)
        {
            table.rooms.remove(room);
        }
    }

    fn is_stopped(&self, worker: usize) -> bool {
        self.stopped[worker].load(Ordering::Relaxed)
    }

    /// `worker`'s thread ended.
    pub fn stopped(&self, worker: usize) {
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        self.stopped[worker].store(true, Ordering::Relaxed);
        self.participants[worker].store(0, Ordering::Relaxed);
        table.rooms.retain(|_, placed| placed.worker != worker);
    }

    pub fn set_participants(&self, worker: usize, participants: usize) {
        self.participants[worker].store(participants, Ordering::Relaxed);
    }

    /// The rooms placed on a worker now, by name.
    pub fn room_names(&self) -> Vec<String> {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table.rooms.keys().cloned().collect()
    }

    /// Rooms placed on each worker now.
    #[cfg(test)]
    pub fn rooms_per_worker(&self) -> Vec<usize> {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let mut rooms = vec![0usize; self.workers()];
        for placed in table.rooms.values() {
            rooms[placed.worker] += 1;
        }
        rooms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_a_new_room_on_the_least_loaded_worker_and_keeps_it_there() {
        let placements = RoomPlacements::new(3);
        placements.set_participants(0, 4);
        placements.set_participants(1, 2);
        placements.set_participants(2, 3);
        assert_eq!(placements.route("a", true, |_| true), Some(1));
        // A join on its way counts as load (1 has 2 + 1, like 2's 3), and
        // then fewer rooms: the next room goes to 2.
        assert_eq!(placements.route("b", true, |_| true), Some(2));
        assert_eq!(placements.route("a", true, |_| true), Some(1), "sticky");
        assert_eq!(placements.rooms_per_worker(), vec![0, 1, 1]);
    }

    #[test]
    fn does_not_place_for_a_query_or_when_the_worker_is_gone() {
        let placements = RoomPlacements::new(2);
        assert_eq!(placements.route("a", false, |_| true), None);
        assert_eq!(placements.route("a", true, |_| false), None);
        assert_eq!(placements.rooms_per_worker(), vec![0, 0]);
    }

    #[test]
    fn a_stopped_worker_gets_nothing_and_its_rooms_are_placed_afresh() {
        let placements = RoomPlacements::new(2);
        assert_eq!(placements.route("a", true, |_| true), Some(0));
        placements.stopped(0);
        assert_eq!(placements.route("a", false, |_| true), None);
        assert_eq!(placements.route("b", true, |_| true), Some(1));
        assert_eq!(placements.route("a", true, |_| true), Some(1));
        assert_eq!(placements.least_loaded_worker(), 1);
    }

    #[test]
    fn releases_a_room_only_when_gone_and_nothing_is_on_its_way() {
        let placements = RoomPlacements::new(2);
        let worker = placements.route("a", true, |_| true).unwrap();
        placements.route("a", true, |_| true);
        // The first join made the room; the room ends before the second
        // join is handled: kept, since the second join will make it again.
        placements.handled("a", worker, true);
        placements.ended("a", worker);
        assert_eq!(placements.route("a", false, |_| true), Some(worker));
        placements.handled("a", worker, true);
        placements.handled("a", worker, false);
        assert_eq!(placements.rooms_per_worker().iter().sum::<usize>(), 0);
        assert_eq!(placements.route("a", false, |_| true), None);
    }
}
