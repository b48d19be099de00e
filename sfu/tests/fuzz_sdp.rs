//! Fuzz target: SDP handling through the core's public negotiation path,
//! the one signaling uses (`Sfu::join`, then `Sfu::handle_signal` with
//! `offer`, `answer`, `candidate`, `track_enabled`, `track_priority` and
//! `track_preferences`).
//!
//! Each case: alice is in a call; mallory joins and sends a mutated offer
//! (browser offers captured from Chromium and Firefox, the testkit's,
//! simulcast ones; lines dropped, duplicated, reordered, values made huge
//! or odd), then, if the SFU offers her alice's tracks, a mutated answer
//! made from a real answer to that very offer, mutated ICE candidates and
//! odd track names. Then carol, a connected subscriber, answers the SFU's
//! renegotiations with mutated answers while media flows to her. The SFU
//! must answer each offer with a parseable answer or an `OfferNotApplied`
//! error, each bad answer with an error, never panic, and afterwards carry
//! a new real peer's call with alice.

mod fuzz_support;
mod support;

use std::io::Cursor;
use std::time::Duration;

use fuzz_support::mutate::{mutated_lines, odd_value};
use fuzz_support::{hostile_sdp_lines, sdp_seeds};
use proptest::collection::vec;
use proptest::prelude::*;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use rtc::sdp::description::session::SessionDescription;
use sfu::core::{ParticipantKey, RoomScope, SfuConfig};
use sfu::signal::{
    FromParticipant, MediaKind, Priority, PublishedTrackSpec, SfuError, ToParticipant,
};
use support::Net;
use testkit::peer::Peer;

#[derive(Debug, Clone)]
struct Case {
    offer: String,
    /// An extra, odd entry in the offer's `tracks` (mid, name).
    odd_track: Option<(String, String)>,
    /// Line mutations for the answer to the SFU's offer, if it makes one.
    answer_mutations: Vec<fuzz_support::mutate::LineMutation>,
    /// Line mutations for a connected subscriber's answers.
    carol_answer_mutations: Vec<fuzz_support::mutate::LineMutation>,
    candidates: Vec<String>,
    track_names: Vec<String>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        mutated_lines(sdp_seeds(), hostile_sdp_lines()),
        proptest::option::of((odd_value(), odd_value())),
        fuzz_support::mutate::line_mutations(hostile_sdp_lines()),
        fuzz_support::mutate::line_mutations(hostile_sdp_lines()),
        vec(
            prop_oneof![
                Just("candidate:1 1 udp 2122260223 127.0.0.1 40999 typ host".to_owned()),
                Just("candidate:842163049 1 udp 1677729535 203.0.113.7 61764 typ srflx raddr 192.168.1.20 rport 61764 generation 0 ufrag 8Dsh network-cost 999".to_owned()),
                "candidate:[0-9]{1,12} [0-9]{1,3} (udp|tcp|UDP|x) [0-9]{1,12} [0-9a-f.:]{0,40} [0-9]{1,6} typ (host|srflx|relay|prflx|z)( raddr [0-9.]{0,16} rport [0-9]{0,6})?",
                odd_value(),
            ],
            0..4,
        ),
        vec(odd_value(), 0..3),
    )
        .prop_map(|(offer, odd_track, answer_mutations, carol_answer_mutations, candidates, track_names)| Case {
            offer,
            odd_track,
            answer_mutations,
            carol_answer_mutations,
            candidates,
            track_names,
        })
}

fn parses(sdp: &str) -> bool {
    SessionDescription::unmarshal(&mut Cursor::new(sdp.as_bytes())).is_ok()
}

/// Mallory's messages since `from`.
fn told(net: &Net, key: ParticipantKey, from: usize) -> Vec<ToParticipant> {
    net.stray[from..]
        .iter()
        .filter(|(k, _)| *k == key)
        .map(|(_, m)| m.clone())
        .collect()
}

fn tracks_of(sdp: &str, odd: &Option<(String, String)>) -> Vec<PublishedTrackSpec> {
    let mut tracks = support::media_specs(sdp);
    if let Some((mid, name)) = odd {
        tracks.push(PublishedTrackSpec {
            mid: mid.clone(),
            name: name.clone(),
            kind: MediaKind::Video,
            enabled: false,
            priority: Default::default(),
        });
    }
    tracks
}

proptest! {
    // Each case is a call with two real peers and one hostile one.
    #![proptest_config(fuzz_config!("fuzz_sdp", 200))]

    #[test]
    fn hostile_sdp_gets_an_answer_or_an_error_and_the_sfu_keeps_serving(case in case()) {
        let mut net = Net::new(SfuConfig::default());
        let alice = net.join("room", "alice");
        // Alice publishes, so mallory is offered her tracks once answered.
        for seq in 0..3u16 {
            net.send(alice, seq, true);
            net.run_for(Duration::from_millis(20));
        }
        let mallory = net.sfu.join(net.now, "room", "mallory", RoomScope::Any).expect("join").participant;
        let now = net.now;

        // The offer: an answer that parses, or OfferNotApplied.
        let mark = net.stray.len();
        net.sfu.handle_signal(now, mallory, FromParticipant::Offer {
            sdp: case.offer.clone(),
            tracks: tracks_of(&case.offer, &case.odd_track),
        });
        net.run_for(Duration::from_millis(50));
        let replies: Vec<ToParticipant> = told(&net, mallory, mark)
            .into_iter()
            .filter(|m| matches!(m, ToParticipant::Answer { .. } | ToParticipant::Error(_)))
            .collect();
        prop_assert_eq!(replies.len(), 1, "one reply to the offer: {:?}", replies);
        match &replies[0] {
            ToParticipant::Answer { sdp } => prop_assert!(parses(sdp), "answer parses: {sdp}"),
            ToParticipant::Error(SfuError::OfferNotApplied(_)) => {}
            other => prop_assert!(false, "unexpected reply {other:?}"),
        }

        // The SFU's offer of alice's tracks, answered with a mutated real
        // answer: accepted silently or refused with AnswerNotApplied.
        let server_offer = told(&net, mallory, 0).into_iter().find_map(|m| match m {
            ToParticipant::Offer { sdp, .. } => Some(sdp),
            _ => None,
        });
        if let Some(offer) = server_offer {
            let (_, answer) = Peer::answering("127.0.0.1:40900".parse().unwrap(), net.now, offer)
                .expect("a real answer to the SFU's offer");
            let answer = fuzz_support::mutate::apply_lines(&answer, &case.answer_mutations);
            let mark = net.stray.len();
            net.sfu.handle_signal(net.now, mallory, FromParticipant::Answer { sdp: answer });
            net.run_for(Duration::from_millis(20));
            for m in told(&net, mallory, mark) {
                if let ToParticipant::Error(err) = m {
                    prop_assert!(
                        matches!(err, SfuError::AnswerNotApplied(_)),
                        "{err:?}"
                    );
                }
            }
        }

        for candidate in &case.candidates {
            let mark = net.stray.len();
            net.sfu.handle_signal(net.now, mallory, FromParticipant::Candidate {
                candidate: candidate.clone(),
                sdp_mid: Some("0".into()),
                sdp_mline_index: Some(0),
            });
            for m in told(&net, mallory, mark) {
                if let ToParticipant::Error(err) = m {
                    prop_assert!(matches!(err, SfuError::BadCandidate(_)), "{err:?}");
                }
            }
        }
        for name in &case.track_names {
            net.sfu.handle_signal(net.now, mallory, FromParticipant::TrackEnabled {
                name: name.clone(),
                enabled: false,
            });
            net.sfu.handle_signal(net.now, mallory, FromParticipant::TrackPriority {
                name: name.clone(),
                priority: Priority::High,
            });
            // A track SID it may or may not receive (names double as SIDs).
            net.sfu.handle_signal(net.now, mallory, FromParticipant::TrackPreferences {
                track_sid: name.clone(),
                priority: Some(Priority::Low),
                enabled: false,
                render_dimensions: None,
            });
        }
        net.run_for(Duration::from_millis(200));

        net.sfu.leave(net.now, mallory);
        net.run_for(Duration::from_millis(20));

        // A connected subscriber that answers renegotiations wrongly:
        // carol's answers to the SFU's offers (of dave's tracks) are
        // mutated, so the ids and payload types she "negotiates" reach the
        // SFU's senders while media flows to her.
        let carol = net.join("room", "carol");
        let carol_mutations = case.carol_answer_mutations.clone();
        net.answer_mutator = Some(Box::new(move |who, sdp| {
            if who == "carol" {
                fuzz_support::mutate::apply_lines(&sdp, &carol_mutations)
            } else {
                sdp
            }
        }));
        // The SFU still serves: dave, a real peer, joins and talks with
        // alice (carol's own media may stop: her answers were hers).
        let dave = net.join("room", "dave");
        for seq in 3..23u16 {
            for i in [alice, carol, dave] {
                net.send(i, seq, seq % 5 == 0);
            }
            net.run_for(Duration::from_millis(20));
        }
        prop_assert!(net.received_from(dave, RtpCodecKind::Audio, "alice") >= 15);
        prop_assert!(net.received_from(alice, RtpCodecKind::Audio, "dave") >= 15);
        prop_assert!(net.received_from(dave, RtpCodecKind::Video, "alice") >= 1);
        let left = net.sfu.stats().participants;
        prop_assert!((2..=3).contains(&left), "{left} participants");
    }
}
