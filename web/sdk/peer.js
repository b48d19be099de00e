// The one RTCPeerConnection of a session and its offer/answer with the SFU
// (docs/signaling.md section 6).
//
// Rules this follows:
// - Every step (create/apply offer or answer, rollback) runs in one queue,
//   so a server offer never interleaves with the client's own offer.
// - One client offer at a time: the next waits for the server's answer.
// - Glare: the server is the impolite peer and silently drops a client offer
//   that crosses its own. So a server offer that finds a local offer
//   outstanding rolls it back, gets answered, and the client offers again.
// - The server says which remote track each of its m-lines carries, in
//   every offer, as a complete list; mids get reused for other tracks, so the
//   mapping is rebuilt from each offer, never patched.
// - Publishing uses addTransceiver (not addTrack) so that a server offer
//   processed in between never adopts the new transceiver for its m-lines.
// - Unpublishing makes the transceiver inactive and keeps it for the next
//   track of its kind, instead of stopping it. Apps written for twilio-video
//   often turn the camera off by unpublishing it and on by publishing a new
//   one; stopping it would leave its m-line in every later SDP (Chromium
//   156 appends a new m-line for the next track rather than recycling the
//   stopped one), growing each offer towards the server's 64 KiB message
//   limit. The server answers a parked m-line `inactive` and picks up media
//   on it again when it sends (sfu/tests/answer_directions.rs).
// - Data tracks are data channels (datachannels.js), never in an offer's
//   `tracks`: only the first one needs an offer, for the m=application.

import { sdkLog } from './logger.js';
import { EventEmitter } from './events.js';
import { createError, errorFromServer } from './errors.js';
import { deferred } from './util.js';
import { DataChannels, DATA_CHANNEL_ERRORS } from './datachannels.js';

/** @typedef {import('./localtrack.js').LocalTrack} LocalTrack */
/** @typedef {import('./datatrack.js').LocalDataTrack} LocalDataTrack */
/** @typedef {import('./datatrack.js').RemoteDataChannel} RemoteDataChannel */
/** @typedef {import('./signaling.js').ServerMessage} ServerMessage */
/** @typedef {import('./signaling.js').SubscribedTrack} SubscribedTrack */
/** @typedef {string | {codec: string, simulcast?: boolean}} CodecPreference */
/**
 * @typedef {object} RemoteTrackInfo a remote track as received on this connection
 * @property {string} participantSid
 * @property {'audio'|'video'} kind
 * @property {string} mid
 * @property {MediaStreamTrack} mediaStreamTrack
 */
/** @typedef {{resolve: (value: void) => void, reject: (error: any) => void}} Waiter */

/**
 * Simulcast layers, as twilio-video publishes with
 * `preferredVideoCodecs: [{codec: 'VP8', simulcast: true}]`: lowest first,
 * the order in which the SFU ranks them (docs/signaling.md, section 6.5).
 * Chrome sends at most two layers of a camera under 540 lines (it drops the
 * top one), so a 480p camera gets two: full and half size. The lowest
 * layer fits a subscriber on a 300 kbit/s link receiving two videos beside
 * their audio.
 * @param {number} height the camera's, in lines
 * @returns {RTCRtpEncodingParameters[]}
 */
function simulcastLayers(height) {
  const lowest = { maxBitrate: 60_000, maxFramerate: 15 };
  if (height < 540) {
    return [
      { rid: 'h', scaleResolutionDownBy: 2, ...lowest },
      { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 900_000 },
    ];
  }
  return [
    { rid: 'q', scaleResolutionDownBy: 4, ...lowest },
    { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 400_000 },
    { rid: 'f', scaleResolutionDownBy: 1, maxBitrate: 1_500_000 },
  ];
}

/** If the server does not answer an offer in this time, the session is broken. */
const ANSWER_TIMEOUT_MS = 15_000;

/**
 * Events: `connectionstate(state)`, `remotetracks(Map<trackSid, RemoteTrackInfo>)`
 * after each server offer is answered and when the server's data channels
 * change (`remoteData`), `failed(error)` when negotiation cannot continue.
 */
export class Peer extends EventEmitter {
  /**
   * @param {object} options
   * @param {(msg: object) => boolean} options.send
   * @param {RTCIceServer[]} [options.iceServers]
   * @param {CodecPreference[]} [options.preferredVideoCodecs]
   * @param {CodecPreference[]} [options.preferredAudioCodecs]
   * @param {import('./e2ee.js').EndToEndEncryption|null} [options.e2ee] transforms for every sender and receiver
   */
  constructor(options) {
    super();
    this._send = options.send;
    this._codecs = { video: options.preferredVideoCodecs || [], audio: options.preferredAudioCodecs || [] };
    const pc = new RTCPeerConnection({ iceServers: options.iceServers || [], bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    /** @type {RTCPeerConnection} */
    this.pc = pc;
    /** @type {Map<string, RemoteTrackInfo>} the latest server offer's mapping, keyed by track SID */
    this.remoteTracks = new Map();
    /** @type {Map<LocalTrack, RTCRtpTransceiver>} */
    this._published = new Map();
    this._data = new DataChannels(pc, () => {
      if (!this._closed) this.emit('remotetracks', this.remoteTracks);
    });
    /** @type {RTCRtpTransceiver[]} inactive, and the server has answered an offer without them */
    this._spare = [];
    /** @type {Set<LocalTrack>} tracks the server has heard of (listed in a sent offer) */
    this._announced = new Set();
    /** @type {Promise<void>} */
    this._queue = Promise.resolve();
    this._needsOffer = false;
    /** The next offer restarts ICE; the one in flight did. */
    this._iceRestart = false;
    this._offerRestartsIce = false;
    this._offerInFlight = false;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this._answerTimer = undefined;
    /** @type {Waiter[]} settled by the answer to the next offer */
    this._waiting = [];
    /** @type {Waiter[]} settled by the answer to the offer in flight */
    this._inFlight = [];
    this._closed = false;

    pc.onicecandidate = (event) => {
      // A null candidate (gathering done) is not sent; an empty one would be ignored anyway.
      const c = event.candidate;
      if (c && c.candidate) this._send({ type: 'candidate', candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex });
    };
    pc.onconnectionstatechange = () => {
      if (!this._closed) this.emit('connectionstate', pc.connectionState);
    };
    this._e2ee = options.e2ee || null;
    // A receiver gets its transform while the server's offer is applied,
    // before any of its media can arrive.
    if (this._e2ee) {
      const e2ee = this._e2ee;
      pc.addEventListener('track', (event) => e2ee.attachReceiver(event.receiver, event.track.kind === 'audio' ? 'audio' : 'video'));
    }
  }

  /**
   * Sends the first offer, with the given tracks (data tracks' channels
   * open once it is answered).
   * @param {Array<LocalTrack|LocalDataTrack>} tracks
   * @returns {Promise<void>} settled by the server's answer
   */
  start(tracks) {
    let media = 0;
    for (const track of tracks) {
      if (track.kind === 'data') {
        this._data.open(track).catch((err) => sdkLog.warn(`data track ${JSON.stringify(track.name)} not published:`, err));
      } else {
        this._addTransceiver(track);
        media++;
      }
    }
    // The first offer needs an m-line for ICE/DTLS to start; a client with
    // nothing to send still receives.
    if (!media) this.pc.addTransceiver('audio', { direction: 'recvonly' });
    return this._renegotiate();
  }

  /** @returns {Map<string, RemoteDataChannel>} the server's data channels, by track SID */
  get remoteData() {
    return this._data.remote;
  }

  /**
   * @param {LocalTrack|LocalDataTrack} track
   * @returns {Promise<void>} settled by the server's answer to the offer that publishes it; for a data track, once its channel is open
   */
  publish(track) {
    if (track.kind === 'data') return this._publishData(track);
    if (this._published.has(track)) return Promise.resolve();
    const spare = this._spare.find((t) => t.receiver.track.kind === track.kind);
    if (!spare) {
      this._addTransceiver(track);
      return this._renegotiate();
    }
    this._spare.splice(this._spare.indexOf(spare), 1);
    spare.direction = 'sendonly';
    this._published.set(track, spare);
    track._senders.add(spare.sender);
    // Media may flow before the offer naming it is answered (an answer to a
    // server offer in between enables the sender): the server holds such a
    // track until an offer names it (docs/signaling.md 4.2).
    const replaced = spare.sender.replaceTrack(track.mediaStreamTrack);
    return Promise.all([replaced, this._renegotiate()]).then(async () => {
      if (this._closed || this._published.get(track) !== spare) return;
      // The server starts the track afresh, every simulcast layer wanted
      // until it says otherwise.
      await this._setActiveLayers(spare.mid || '', []);
    });
  }

  /**
   * @param {LocalDataTrack} track
   * @returns {Promise<void>}
   */
  _publishData(track) {
    if (this._closed) return Promise.reject(createError(53001, 'the connection was closed'));
    if (this._data.published.has(track)) return Promise.resolve();
    // Only the first channel needs an offer, for the m=application section;
    // later ones open over the same SCTP association without one.
    const needsOffer = !this._data.negotiated;
    const opened = this._data.open(track);
    if (!needsOffer) return opened;
    const answered = this._renegotiate();
    // Both settle; a failure of either is the publication's.
    return Promise.all([answered, opened]).then(() => {});
  }

  /**
   * @param {LocalTrack|LocalDataTrack} track
   * @returns {Promise<void>}
   */
  unpublish(track) {
    if (track.kind === 'data') {
      this._data.close(track);
      return Promise.resolve();
    }
    const transceiver = this._published.get(track);
    if (!transceiver) return Promise.resolve();
    this._published.delete(track);
    this._announced.delete(track);
    track._senders.delete(transceiver.sender);
    transceiver.direction = 'inactive';
    // The next offer leaves the mid out of `tracks`, which is what
    // unpublishes it on the server. Reusing the m-line before that offer is
    // answered would look like the old track continuing under a new name.
    const answered = this._renegotiate();
    return Promise.all([transceiver.sender.replaceTrack(null), answered]).then(() => {
      if (!this._closed) this._spare.push(transceiver);
    });
  }

  /** Restarts ICE (new credentials and candidates) with the next offer. */
  restartIce() {
    if (this._closed) return;
    this._iceRestart = true;
    this._needsOffer = true;
    this._enqueue(() => this._offer());
  }

  /**
   * The websocket was replaced by a resume: an offer in flight on the old
   * one will never be answered (the server re-sends an offer of its own
   * that was pending), so it is rolled back and made again; with
   * `iceRestart` the new offer restarts ICE.
   * @param {boolean} iceRestart
   */
  resumeNegotiation(iceRestart) {
    this._enqueue(async () => {
      clearTimeout(this._answerTimer);
      this._offerAgain();
      if (this.pc.signalingState === 'have-local-offer') await this.pc.setLocalDescription({ type: 'rollback' });
      if (iceRestart) {
        this._iceRestart = true;
        this._needsOffer = true;
      }
      await this._offer();
    });
  }

  /**
   * Tells the server a published track was muted or unmuted. A track not yet
   * in a sent offer gets its state from that offer instead.
   * @param {LocalTrack} track
   */
  sendEnabled(track) {
    if (this._announced.has(track)) this._send({ type: 'track_enabled', name: track.name, enabled: track.isEnabled });
  }

  /**
   * Tells the server a published track's priority changed; as with
   * sendEnabled, a track not yet in a sent offer gets it from that offer.
   * @param {LocalTrack} track
   */
  sendPriority(track) {
    if (this._announced.has(track)) this._send({ type: 'track_priority', name: track.name, priority: track._priority });
  }

  /**
   * Handles the messages that belong to negotiation.
   * @param {ServerMessage} msg
   * @returns {boolean} whether it was one
   */
  handle(msg) {
    switch (msg.type) {
      case 'answer':
        this._enqueue(() => this._onAnswer(msg.sdp));
        return true;
      case 'offer':
        this._enqueue(() => this._onOffer(msg.sdp, msg.tracks || []));
        return true;
      case 'publish_layers':
        this._setActiveLayers(String(msg.mid), Array.isArray(msg.active) ? msg.active : []);
        return true;
      case 'error':
        // The server refused a data channel and closes it: the reason, for
        // the publication waiting for it to open. The Room logs it too.
        if (DATA_CHANNEL_ERRORS.has(msg.code)) this._data.refused(errorFromServer(msg));
        if (msg.code === 53400) {
          // The server could not apply our offer and will not answer it.
          this._enqueue(() => this._abandonOffer(createError(53400, msg.message)));
          return true;
        }
        return false;
      default:
        return false;
    }
  }

  /** @returns {Promise<RTCStatsReport>} */
  getStats() {
    return this.pc.getStats();
  }

  close() {
    if (this._closed) return;
    this._closed = true;
    clearTimeout(this._answerTimer);
    for (const [track, transceiver] of this._published) track._senders.delete(transceiver.sender);
    this._data.dispose();
    const error = createError(53001, 'the connection was closed');
    for (const w of [...this._waiting, ...this._inFlight]) w.reject(error);
    this._waiting = [];
    this._inFlight = [];
    this.pc.close();
  }

  /**
   * The server says which simulcast layers of the track on `mid` anyone
   * receives: the others are paused (not encoded, not sent) until wanted.
   * @param {string} mid
   * @param {unknown[]} active lowest first
   */
  async _setActiveLayers(mid, active) {
    const transceiver = [...this._published.values()].find((t) => t.mid === mid);
    if (!transceiver || this._closed) return;
    const parameters = transceiver.sender.getParameters();
    if (!parameters.encodings || parameters.encodings.length < 2) return;
    let changed = false;
    parameters.encodings.forEach((encoding, i) => {
      const on = active[i] !== false;
      if (encoding.active !== on) {
        encoding.active = on;
        changed = true;
      }
    });
    if (!changed) return;
    try {
      await transceiver.sender.setParameters(parameters);
    } catch (err) {
      sdkLog.warn('cannot pause or resume simulcast layers:', err);
    }
  }

  /** @param {LocalTrack} track */
  _addTransceiver(track) {
    /** @type {RTCRtpTransceiverInit} */
    const init = { direction: 'sendonly' };
    if (track.kind === 'video' && wantsSimulcast(this._codecs.video)) init.sendEncodings = simulcastLayers(track.mediaStreamTrack.getSettings().height || 480);
    const transceiver = this.pc.addTransceiver(track.mediaStreamTrack, init);
    applyCodecPreferences(transceiver, track.kind, this._codecs[track.kind]);
    if (track.kind === 'video') offerDependencyDescriptor(transceiver);
    if (this._e2ee) this._e2ee.attachSender(transceiver.sender, track.kind);
    this._published.set(track, transceiver);
    track._senders.add(transceiver.sender);
  }

  /** @returns {Promise<void>} */
  _renegotiate() {
    if (this._closed) return Promise.reject(createError(53001, 'the connection was closed'));
    const d = deferred();
    this._waiting.push(d);
    this._needsOffer = true;
    this._enqueue(() => this._offer());
    return d.promise;
  }

  /** @param {() => Promise<void>} step */
  _enqueue(step) {
    this._queue = this._queue
      .then(() => (this._closed ? undefined : step()))
      .catch((err) => {
        if (this._closed) return;
        sdkLog.warn('negotiation failed:', err);
        this.emit('failed', createError(53405, `negotiation failed: ${err && err.message}`));
      });
  }

  async _offer() {
    const pc = this.pc;
    if (!this._needsOffer || this._offerInFlight || pc.signalingState !== 'stable') return;
    this._needsOffer = false;
    const waiters = this._waiting;
    this._waiting = [];
    this._inFlight.push(...waiters);
    const iceRestart = this._iceRestart;
    this._iceRestart = false;
    this._offerRestartsIce = iceRestart;
    await pc.setLocalDescription(await pc.createOffer({ iceRestart }));
    /** @type {Array<{mid: string, name: string, kind: string, enabled: boolean, priority: string}>} */
    const tracks = [];
    for (const [track, transceiver] of this._published) {
      if (transceiver.mid === null) continue;
      tracks.push({ mid: transceiver.mid, name: track.name, kind: track.kind, enabled: track.isEnabled, priority: track._priority });
      this._announced.add(track);
    }
    this._offerInFlight = true;
    this._send({ type: 'offer', sdp: pc.localDescription.sdp, tracks });
    clearTimeout(this._answerTimer);
    this._answerTimer = setTimeout(() => {
      if (this._offerInFlight && !this._closed) this.emit('failed', createError(53405, `no answer to an offer within ${ANSWER_TIMEOUT_MS / 1000} s`));
    }, ANSWER_TIMEOUT_MS);
  }

  /** @param {string} sdp */
  async _onAnswer(sdp) {
    // Only an answer to the offer in flight; anything else is stale.
    if (!this._offerInFlight || this.pc.signalingState !== 'have-local-offer') return;
    clearTimeout(this._answerTimer);
    this._offerInFlight = false;
    const waiters = this._inFlight;
    this._inFlight = [];
    try {
      await this.pc.setRemoteDescription({ type: 'answer', sdp });
    } catch (err) {
      const error = createError(53402, err && err.message);
      for (const w of waiters) w.reject(error);
      throw err;
    }
    for (const w of waiters) w.resolve();
    if (this._needsOffer) await this._offer();
  }

  /**
   * @param {string} sdp
   * @param {SubscribedTrack[]} tracks
   */
  async _onOffer(sdp, tracks) {
    const pc = this.pc;
    if (pc.signalingState === 'have-local-offer') {
      // Glare: the server has dropped our offer. Undo it and send it again
      // after answering, with the same promises waiting on it.
      clearTimeout(this._answerTimer);
      await pc.setLocalDescription({ type: 'rollback' });
      this._offerAgain();
    }
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    this._send({ type: 'answer', sdp: pc.localDescription.sdp });
    this._setMapping(tracks);
    if (this._needsOffer) await this._offer();
  }

  /** The offer in flight will not be answered: make it again, next, with the same promises waiting on it. */
  _offerAgain() {
    if (!this._offerInFlight) return;
    this._offerInFlight = false;
    this._needsOffer = true;
    this._iceRestart ||= this._offerRestartsIce;
    this._waiting.unshift(...this._inFlight);
    this._inFlight = [];
  }

  /** @param {Error} error */
  async _abandonOffer(error) {
    if (!this._offerInFlight) return;
    clearTimeout(this._answerTimer);
    this._offerInFlight = false;
    for (const w of this._inFlight) w.reject(error);
    this._inFlight = [];
    if (this.pc.signalingState === 'have-local-offer') await this.pc.setLocalDescription({ type: 'rollback' });
    if (this._needsOffer) await this._offer();
  }

  /** @param {SubscribedTrack[]} tracks */
  _setMapping(tracks) {
    /** @type {Map<string, RTCRtpTransceiver>} */
    const byMid = new Map();
    for (const t of this.pc.getTransceivers()) if (t.mid !== null) byMid.set(t.mid, t);
    /** @type {Map<string, RemoteTrackInfo>} */
    const remote = new Map();
    for (const s of tracks) {
      const transceiver = byMid.get(s.mid);
      if (!transceiver || transceiver.receiver.track.kind !== s.kind) continue;
      remote.set(s.track_sid, { participantSid: s.participant_sid, kind: s.kind, mid: s.mid, mediaStreamTrack: transceiver.receiver.track });
    }
    this.remoteTracks = remote;
    this.emit('remotetracks', remote);
  }
}

/**
 * Puts the preferred codecs first (in the given order), keeping the rest, so
 * the browser offers them first and the server picks them if it can.
 * @param {RTCRtpTransceiver} transceiver
 * @param {'audio'|'video'} kind
 * @param {CodecPreference[]} preferences
 */
export function applyCodecPreferences(transceiver, kind, preferences) {
  if (!preferences.length || typeof transceiver.setCodecPreferences !== 'function') return;
  if (typeof RTCRtpReceiver === 'undefined' || typeof RTCRtpReceiver.getCapabilities !== 'function') return;
  const capabilities = RTCRtpReceiver.getCapabilities(kind);
  if (!capabilities) return;
  const names = preferences.map((p) => (typeof p === 'string' ? p : p.codec).toLowerCase());
  const rank = (/** @type {RTCRtpCodec} */ c) => {
    const i = names.indexOf(c.mimeType.split('/')[1].toLowerCase());
    return i < 0 ? names.length : i;
  };
  const ordered = capabilities.codecs
    .map((codec, index) => ({ codec, index }))
    .sort((a, b) => rank(a.codec) - rank(b.codec) || a.index - b.index)
    .map((x) => x.codec);
  try {
    transceiver.setCodecPreferences(ordered);
  } catch (err) {
    sdkLog.warn('cannot apply codec preferences:', err);
  }
}

const DEPENDENCY_DESCRIPTOR = 'https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension';

/**
 * Offers the dependency descriptor header extension (Chromium has it, off by
 * default): it tells the server which packets start a keyframe without the
 * payload, which end-to-end encrypted video hides from it.
 * @param {RTCRtpTransceiver} transceiver
 */
function offerDependencyDescriptor(transceiver) {
  const t = /** @type {any} */ (transceiver);
  if (typeof t.getHeaderExtensionsToNegotiate !== 'function' || typeof t.setHeaderExtensionsToNegotiate !== 'function') return;
  try {
    const extensions = t.getHeaderExtensionsToNegotiate();
    t.setHeaderExtensionsToNegotiate(extensions.map((/** @type {any} */ e) => (e.uri === DEPENDENCY_DESCRIPTOR ? { ...e, direction: 'sendrecv' } : e)));
  } catch (err) {
    sdkLog.warn('cannot offer the dependency descriptor:', err);
  }
}

/**
 * Whether the app asked for VP8 simulcast (`{codec: 'VP8', simulcast: true}`)
 * as its first choice: layers of another codec would be sent for nothing
 * (the server forwards only VP8 in layers).
 * @param {CodecPreference[]} preferences
 */
function wantsSimulcast(preferences) {
  const p = preferences[0];
  return typeof p === 'object' && p !== null && p.simulcast === true && String(p.codec).toLowerCase() === 'vp8';
}
