// The Room: what the application holds for the whole call. It outlives the
// server sessions under it (a lost connection is replaced by a new session
// with the same token), so it owns the state that must survive one: the
// participants, the local publications, and the dominant speaker.
//
// Subscriptions are derived, never tracked incrementally: after any change
// (a server offer, a publication, a new session) the Room compares each
// publication with the peer connection's current mid mapping and
// subscribes or unsubscribes to match. That one function is what keeps
// events right through m-line reuse, glare and reconnection.
//
// Recovery, twilio-video style: `reconnecting(error)` then `reconnected`,
// or `disconnected(room, error)` after RECONNECT_WINDOW_MS. An ICE blip on a
// healthy websocket gets a short grace period to heal by itself; anything
// else is a rejoin (fresh websocket and RTCPeerConnection, same token,
// local tracks republished, participants reconciled from `joined`).

import { EventEmitter } from './events.js';
import { createError, isRetryable } from './errors.js';
import { Session } from './session.js';
import { LocalParticipant } from './localparticipant.js';
import { RemoteParticipant } from './participant.js';
import { sleep, withTimeout } from './util.js';

/** @typedef {import('./localtrack.js').LocalAudioTrack} LocalAudioTrack */
/** @typedef {import('./localtrack.js').LocalVideoTrack} LocalVideoTrack */
/** @typedef {import('./localtrack.js').LocalTrack} LocalTrack */
/** @typedef {import('./peer.js').CodecPreference} CodecPreference */
/** @typedef {import('./signaling.js').JoinedMessage} JoinedMessage */
/** @typedef {import('./signaling.js').ParticipantInfo} ParticipantInfo */
/** @typedef {import('./signaling.js').ServerMessage} ServerMessage */
/** @typedef {import('./publication.js').RemoteTrackPublication} RemoteTrackPublication */
/** @typedef {import('./errors.js').TwilioError} TwilioError */

export const JOIN_TIMEOUT_MS = 20_000;
const RECONNECT_WINDOW_MS = 30_000;
/** How long a `disconnected` peer connection may take to heal before rejoining. */
const ICE_GRACE_MS = 8_000;
const PUBLISH_TIMEOUT_MS = 20_000;
/** Participant events the Room repeats with the participant appended. */
const REEMITTED = ['trackSubscribed', 'trackUnsubscribed', 'trackPublished', 'trackUnpublished', 'trackEnabled', 'trackDisabled', 'trackStarted'];
/** Join refusals that another attempt with the same token will not get past. */
const FINAL_JOIN_CODES = new Set([20101, 20102, 20103, 20104, 20105, 20106, 20107, 53106, 53118, 53205]);

/**
 * @typedef {object} RoomOptions
 * @property {string} token
 * @property {string} [name] the room to join (the token may name it instead)
 * @property {Array<LocalAudioTrack|LocalVideoTrack>} tracks
 * @property {boolean} stopTracksOnDisconnect true when connect() created the tracks
 * @property {CodecPreference[]} [preferredVideoCodecs]
 * @property {CodecPreference[]} [preferredAudioCodecs]
 * @property {string} [signalingUrl]
 */

export class Room extends EventEmitter {
  /** @param {RoomOptions} options */
  constructor(options) {
    super();
    this._options = options;
    /** @type {string} */
    this.name = options.name || '';
    /** @type {string} */
    this.sid = '';
    /** @type {'connecting'|'connected'|'reconnecting'|'disconnected'} */
    this.state = 'connecting';
    /** @type {Map<string, RemoteParticipant>} */
    this.participants = new Map();
    /** @type {RemoteParticipant|null} */
    this.dominantSpeaker = null;
    this.isRecording = false;
    /** @type {LocalParticipant} */
    this.localParticipant = new LocalParticipant({
      publish: (track) => this._publish(track),
      unpublish: (track) => this._unpublish(track),
      sendEnabled: (track) => {
        const peer = this._session && this._session.peer;
        if (peer) peer.sendEnabled(track);
      },
    });
    for (const track of options.tracks) this.localParticipant._addPublication(track);
    /** @type {Session|null} */
    this._session = null;
    /** Subscriptions wait until connect() has resolved, so the app can listen first. */
    this._announce = false;
    /** @type {null|'ice'|'rejoin'} */
    this._recovering = null;
    this._reconnectStarted = 0;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this._iceTimer = undefined;
    this._onPageHide = () => this.disconnect();
  }

  /** The current RTCPeerConnection, for tests and debugging. @returns {RTCPeerConnection|null} */
  get _pc() {
    return this._session && this._session.peer ? this._session.peer.pc : null;
  }

  /** The current peer connection's stats (the browser's RTCStatsReport). @returns {Promise<RTCStatsReport>} */
  getStats() {
    return this._session ? this._session.getStats() : Promise.reject(createError(53000, 'not connected'));
  }

  /** @returns {this} */
  disconnect() {
    this._finish(undefined, true);
    return this;
  }

  toString() {
    return `[Room ${this.sid} ${this.name}]`;
  }

  /** First connection; rejects with why it failed. @param {number} timeoutMs */
  async _connect(timeoutMs) {
    try {
      await this._establish(timeoutMs);
      if (this.state !== 'connecting') throw createError(53000, 'disconnected while connecting');
    } catch (err) {
      this._finish(err, false);
      throw err;
    }
    this.state = 'connected';
    window.addEventListener('pagehide', this._onPageHide);
    setTimeout(() => {
      this._announce = true;
      this._reconcileSubscriptions();
    }, 0);
  }

  /**
   * A new session: join, apply `joined`, send the local tracks, wait for media.
   * @param {number} timeoutMs
   */
  async _establish(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    const session = new Session({
      token: this._options.token,
      roomName: this._options.name,
      url: this._options.signalingUrl,
      preferredVideoCodecs: this._options.preferredVideoCodecs,
      preferredAudioCodecs: this._options.preferredAudioCodecs,
    });
    this._session = session;
    try {
      const joined = await session.join(timeoutMs);
      if (this._session !== session) throw createError(53000, 'disconnected while connecting');
      session.on('message', (/** @type {ServerMessage} */ msg) => this._onMessage(session, msg));
      session.on('remotetracks', () => {
        if (this._session === session) this._reconcileSubscriptions();
      });
      session.on('connectionstate', (/** @type {RTCPeerConnectionState} */ s) => this._onConnectionState(session, s));
      session.on('failed', (/** @type {TwilioError} */ error) => this._onSessionFailed(session, error));
      this._applyJoined(joined);
      session.startMedia(this.localParticipant._localTracks());
      await session.waitConnected(deadline - Date.now());
    } catch (err) {
      session.close();
      if (this._session === session) this._session = null;
      throw err;
    }
  }

  /** @param {JoinedMessage} joined */
  _applyJoined(joined) {
    this.sid = joined.room.sid;
    this.name = joined.room.name;
    this.localParticipant._setIdentity(joined.participant);
    const present = new Set();
    for (const info of joined.participants || []) {
      if (info.sid === joined.participant.sid) continue;
      present.add(info.sid);
      const existing = this.participants.get(info.sid);
      if (existing) existing._syncPublications(info.tracks || []);
      else this._addParticipant(info, this.state !== 'connecting');
    }
    // After a rejoin: whoever left meanwhile.
    for (const sid of [...this.participants.keys()]) if (!present.has(sid)) this._removeParticipant(sid);
  }

  /**
   * @param {ParticipantInfo} info
   * @param {boolean} announce
   */
  _addParticipant(info, announce) {
    const participant = new RemoteParticipant(info);
    for (const event of REEMITTED) {
      participant.on(event, (/** @type {any[]} */ ...args) => this.emit(event, ...args, participant));
    }
    this.participants.set(participant.sid, participant);
    if (announce) this.emit('participantConnected', participant);
  }

  /** @param {string} sid */
  _removeParticipant(sid) {
    const participant = this.participants.get(sid);
    if (!participant) return;
    this.participants.delete(sid);
    participant._disconnect();
    if (this.dominantSpeaker === participant) this._setDominantSpeaker(null);
    this.emit('participantDisconnected', participant);
  }

  /**
   * @param {Session} session
   * @param {ServerMessage} msg
   */
  _onMessage(session, msg) {
    if (session !== this._session) return;
    const participant = typeof msg.participant_sid === 'string' ? this.participants.get(msg.participant_sid) : undefined;
    switch (msg.type) {
      case 'participant_connected': {
        const info = msg.participant;
        if (!info || info.sid === this.localParticipant.sid) return;
        const existing = this.participants.get(info.sid);
        if (existing) existing._syncPublications(info.tracks || []);
        else this._addParticipant(info, true);
        this._reconcileSubscriptions();
        break;
      }
      case 'participant_disconnected':
        this._removeParticipant(msg.participant_sid);
        break;
      case 'track_published':
        if (participant && msg.track) {
          participant._addPublication(msg.track);
          this._reconcileSubscriptions();
        }
        break;
      case 'track_unpublished':
        if (participant) participant._removePublication(msg.track_sid);
        break;
      case 'track_enabled':
        if (participant) participant._setTrackEnabled(msg.track_sid, msg.enabled !== false);
        break;
      case 'dominant_speaker':
        this._setDominantSpeaker(msg.participant_sid || null);
        break;
      case 'error':
        console.warn(`[confide] server error ${msg.code}: ${msg.message}`);
        break;
      default:
        break; // pong, and message types newer than this SDK
    }
  }

  /** @param {string|null} sid the local participant counts as none: twilio-video reports remote speakers only */
  _setDominantSpeaker(sid) {
    const speaker = (sid && this.participants.get(sid)) || null;
    if (speaker === this.dominantSpeaker) return;
    this.dominantSpeaker = speaker;
    this.emit('dominantSpeakerChanged', speaker);
  }

  /** Makes every publication's `track` match what the current connection receives. */
  _reconcileSubscriptions() {
    if (!this._announce) return;
    const peer = this._session && this._session.peer;
    const remote = peer ? peer.remoteTracks : new Map();
    /** @type {Array<[RemoteParticipant, RemoteTrackPublication, MediaStreamTrack]>} */
    const toSubscribe = [];
    // Unsubscribe everything stale first, so a reused receiver track is never
    // held by two publications at once.
    for (const participant of this.participants.values()) {
      for (const publication of participant.tracks.values()) {
        const r = remote.get(publication.trackSid);
        const ok = !!r && r.participantSid === participant.sid && r.kind === publication.kind;
        if (publication.track && (!ok || publication.track.mediaStreamTrack !== r.mediaStreamTrack)) {
          participant._unsubscribe(publication);
        }
        if (ok && !publication.track) toSubscribe.push([participant, publication, r.mediaStreamTrack]);
      }
    }
    for (const [participant, publication, mediaStreamTrack] of toSubscribe) participant._subscribe(publication, mediaStreamTrack);
  }

  /** @param {LocalTrack} track */
  async _publish(track) {
    const session = this._session;
    // Without a started session, the next one sends every publication.
    if (!session || !session.peer) return;
    try {
      await withTimeout(session.peer.publish(track), PUBLISH_TIMEOUT_MS, () => createError(53000, 'the server did not answer the offer publishing the track'));
    } catch (err) {
      // The connection was replaced meanwhile; the new one publishes it.
      if (this._session !== session && this.state !== 'disconnected') return;
      throw err;
    }
  }

  /** @param {LocalTrack} track */
  async _unpublish(track) {
    const peer = this._session && this._session.peer;
    if (peer) await peer.unpublish(track);
  }

  /**
   * @param {Session} session
   * @param {RTCPeerConnectionState} state
   */
  _onConnectionState(session, state) {
    if (session !== this._session) return;
    if (state === 'disconnected' && this.state === 'connected') {
      this._setReconnecting(createError(53405, 'the media connection was interrupted'));
      this._recovering = 'ice';
      this._iceTimer = setTimeout(() => {
        if (this._recovering === 'ice' && this._session === session) {
          this._rejoin(createError(53405, `the media connection did not recover within ${ICE_GRACE_MS / 1000} s`));
        }
      }, ICE_GRACE_MS);
    } else if (state === 'connected' && this._recovering === 'ice') {
      clearTimeout(this._iceTimer);
      this._recovering = null;
      this._setConnected();
    }
  }

  /**
   * @param {Session} session
   * @param {TwilioError} error
   */
  _onSessionFailed(session, error) {
    if (session !== this._session || this.state === 'disconnected') return;
    // While connecting or rejoining, _establish gets the failure itself.
    if (this.state === 'connecting' || this._recovering === 'rejoin') return;
    if (isRetryable(error)) this._rejoin(error);
    else this._finish(error, true);
  }

  /** @param {TwilioError} error */
  async _rejoin(error) {
    if (this._recovering === 'rejoin' || this.state === 'disconnected') return;
    clearTimeout(this._iceTimer);
    if (this.state === 'connected') this._setReconnecting(error);
    this._recovering = 'rejoin';
    const old = this._session;
    this._session = null;
    if (old) old.close();
    this._reconcileSubscriptions(); // the old connection's media is gone
    const deadline = this._reconnectStarted + RECONNECT_WINDOW_MS;
    /** @type {Error} */
    let lastError = error;
    let delay = 500;
    while (this.state === 'reconnecting' && Date.now() < deadline) {
      try {
        await this._establish(Math.min(deadline - Date.now(), JOIN_TIMEOUT_MS));
      } catch (err) {
        if (this.state !== 'reconnecting') return;
        if (FINAL_JOIN_CODES.has(err && err.code)) {
          lastError = err;
          break;
        }
        await sleep(Math.min(delay, deadline - Date.now()));
        delay = Math.min(delay * 2, 4000);
        continue;
      }
      if (this.state !== 'reconnecting') return;
      this._recovering = null;
      this._setConnected();
      this._reconcileSubscriptions();
      return;
    }
    this._finish(lastError, true);
  }

  /** @param {TwilioError} error */
  _setReconnecting(error) {
    this.state = 'reconnecting';
    this.localParticipant.state = 'reconnecting';
    this._reconnectStarted = Date.now();
    this.emit('reconnecting', error);
  }

  _setConnected() {
    this.state = 'connected';
    this.localParticipant.state = 'connected';
    this.emit('reconnected');
  }

  /**
   * @param {Error|undefined} error undefined for a disconnect the app asked for
   * @param {boolean} emit
   */
  _finish(error, emit) {
    if (this.state === 'disconnected') return;
    this.state = 'disconnected';
    this._recovering = null;
    clearTimeout(this._iceTimer);
    window.removeEventListener('pagehide', this._onPageHide);
    const session = this._session;
    this._session = null;
    if (session) session.close();
    for (const participant of this.participants.values()) participant._disconnect();
    this.localParticipant.state = 'disconnected';
    if (this._options.stopTracksOnDisconnect) for (const track of this.localParticipant._localTracks()) track.stop();
    if (emit) this.emit('disconnected', this, error);
  }
}
