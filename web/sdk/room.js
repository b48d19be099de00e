// The Room: what the application holds for the whole call. It outlives the
// server sessions under it (a lost connection is replaced by a new session
// with the same token), so it owns the state that must survive one: the
// participants, the local publications, and the dominant speaker.
//
// Subscriptions are derived, never tracked incrementally: after any change
// (a server offer, a publication, a new session, a data channel) the Room
// compares each publication with the peer connection's current mid mapping
// (data tracks: the server's data channels) and subscribes or unsubscribes
// to match. That one function is what keeps events right through m-line
// reuse, glare and reconnection.
//
// Recovery, twilio-video style: `reconnecting(error)` then `reconnected`,
// or `disconnected(room, error)` once the server's reconnect window
// (`reconnect_window_secs`, Twilio's 30 s) has passed. Within it the same
// participant goes on: the Session resumes a dropped websocket and restarts
// ICE on the same peer connection, and the server keeps our SID, tracks and
// subscriptions (others see `participantReconnecting`). Only when the server
// no longer has us (it restarted: 53001; it removed us: 53204) is it a
// rejoin: a fresh websocket and RTCPeerConnection, same token, local tracks
// republished, participants reconciled from `joined`.

import { sdkLog } from './logger.js';
import { EventEmitter } from './events.js';
import { createError, isRetryable } from './errors.js';
import { Session } from './session.js';
import { EndToEndEncryption } from './e2ee.js';
import { signalingUrl } from './signaling.js';
import { statsReport } from './stats.js';
import { LocalParticipant } from './localparticipant.js';
import { RemoteParticipant } from './participant.js';
import { sleep, withTimeout } from './util.js';
import { applyNetworkQuality, networkQualityConfiguration } from './networkquality.js';

/** @typedef {import('./localtrack.js').LocalAudioTrack} LocalAudioTrack */
/** @typedef {import('./localtrack.js').LocalVideoTrack} LocalVideoTrack */
/** @typedef {import('./localtrack.js').LocalTrack} LocalTrack */
/** @typedef {import('./datatrack.js').LocalDataTrack} LocalDataTrack */
/** @typedef {import('./peer.js').CodecPreference} CodecPreference */
/** @typedef {import('./signaling.js').JoinedMessage} JoinedMessage */
/** @typedef {import('./signaling.js').ParticipantInfo} ParticipantInfo */
/** @typedef {import('./signaling.js').ServerMessage} ServerMessage */
/** @typedef {import('./publication.js').RemoteTrackPublication} RemoteTrackPublication */
/** @typedef {import('./errors.js').TwilioError} TwilioError */

export const JOIN_TIMEOUT_MS = 20_000;
/** Used until the server says its own (`reconnect_window_secs`). */
const DEFAULT_RECONNECT_WINDOW_MS = 30_000;
const PUBLISH_TIMEOUT_MS = 20_000;
/** Participant events the Room repeats with the participant appended. */
const REEMITTED = [
  'trackSubscribed', 'trackUnsubscribed', 'trackPublished', 'trackUnpublished', 'trackEnabled', 'trackDisabled', 'trackStarted',
  'trackSwitchedOff', 'trackSwitchedOn', 'trackDimensionsChanged', 'trackPublishPriorityChanged', 'trackMessage',
];
/** Join refusals that another attempt with the same token will not get past. */
const FINAL_JOIN_CODES = new Set([20101, 20102, 20103, 20104, 20105, 20106, 20107, 53106, 53118, 53205]);

/**
 * @typedef {object} RoomOptions
 * @property {string} token
 * @property {string} [name] the room to join (the token may name it instead)
 * @property {Array<LocalAudioTrack|LocalVideoTrack|LocalDataTrack>} tracks
 * @property {boolean} stopTracksOnDisconnect true when connect() created the tracks
 * @property {CodecPreference[]} [preferredVideoCodecs]
 * @property {CodecPreference[]} [preferredAudioCodecs]
 * @property {string} [signalingUrl]
 * @property {{local: number, remote: number}|null} [networkQuality] verbosities, null when off
 * @property {import('./remotetrack.js').SwitchOffControl} [switchOffControl] who switches remote video off (default: nobody)
 * @property {import('./remotetrack.js').ContentPreferencesMode} [contentPreferencesMode]
 * @property {boolean} [e2ee] end-to-end encrypt media (e2ee.js)
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
    /** @type {EndToEndEncryption|null} Confide's end-to-end encryption, when asked for (its `safetyCode`) */
    this.e2ee = options.e2ee ? new EndToEndEncryption() : null;
    /** @type {string} the host of the server that carries the media (twilio-video: its media region) */
    this.mediaRegion = '';
    /** @type {LocalParticipant} */
    this.localParticipant = new LocalParticipant({
      publish: (track) => this._publish(track),
      unpublish: (track) => this._unpublish(track),
      sendEnabled: (track) => {
        const peer = this._session && this._session.peer;
        if (peer) peer.sendEnabled(track);
      },
      sendPriority: (track) => {
        const peer = this._session && this._session.peer;
        if (peer && track.kind !== 'data') peer.sendPriority(track);
      },
    });
    for (const track of options.tracks) this.localParticipant._addPublication(track);
    this.localParticipant._setNetworkQualityConfiguration = (config) => {
      const current = this._options.networkQuality || { local: 1, remote: 0 };
      this._options.networkQuality = networkQualityConfiguration({ local: config.local ?? current.local, remote: config.remote ?? current.remote });
    };
    /** @type {Session|null} */
    this._session = null;
    /** Subscriptions wait until connect() has resolved, so the app can listen first. */
    this._announce = false;
    /** A rejoin (new session) is under way. */
    this._rejoining = false;
    this._reconnectStarted = 0;
    this._reconnectWindowMs = DEFAULT_RECONNECT_WINDOW_MS;
    /** @type {ReturnType<typeof setTimeout>|undefined} ends the reconnect window */
    this._windowTimer = undefined;
    /** @type {Error|null} why we are reconnecting */
    this._reconnectError = null;
    this._onPageHide = () => this.disconnect();
  }

  /** The current RTCPeerConnection, for tests and debugging. @returns {RTCPeerConnection|null} */
  get _pc() {
    return this._session && this._session.peer ? this._session.peer.pc : null;
  }

  /**
   * twilio-video's stats: one StatsReport for the current peer connection
   * (stats.js). The browser's own report is `room._pc.getStats()`.
   * @returns {Promise<import('./stats.js').StatsReport[]>}
   */
  async getStats() {
    const session = this._session;
    if (!session) throw createError(53000, 'not connected');
    const report = await session.getStats();
    const remote = [];
    for (const participant of this.participants.values()) remote.push(...participant.tracks.values());
    return [statsReport(report, session.peerConnectionId, [...this.localParticipant.tracks.values()], remote)];
  }

  /**
   * Plays again the attached elements the browser paused (iOS Safari pauses
   * media elements when a page goes to the background), as twilio-video.
   */
  refreshInactiveMedia() {
    /** @type {Array<import('./track.js').Track>} */
    const tracks = [...this.localParticipant._mediaTracks()];
    for (const participant of this.participants.values()) {
      for (const publication of participant.tracks.values()) if (publication.track && publication.track.kind !== 'data') tracks.push(publication.track);
    }
    for (const track of tracks) {
      for (const element of track._attachedElements) {
        if (element instanceof HTMLMediaElement && element.paused) element.play().catch(() => {});
      }
    }
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
      e2ee: this.e2ee,
    });
    this._session = session;
    try {
      const joined = await session.join(timeoutMs);
      if (this._session !== session) throw createError(53000, 'disconnected while connecting');
      session.on('message', (/** @type {ServerMessage} */ msg) => this._onMessage(session, msg));
      session.on('remotetracks', () => {
        if (this._session === session) this._reconcileSubscriptions();
      });
      session.on('connectionstate', () => this._checkConnection(session));
      session.on('signaling', () => this._checkConnection(session));
      session.on('resumed', (/** @type {JoinedMessage} */ resumed) => {
        if (this._session !== session) return;
        this._applyJoined(resumed);
        this._reconcileSubscriptions();
      });
      session.on('failed', (/** @type {TwilioError} */ error) => this._onSessionFailed(session, error));
      this._applyJoined(joined);
      if (this.e2ee) session.signaling.send({ type: 'e2ee_key', public_key: await this.e2ee.publicKey() });
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
    if (joined.reconnect_window_secs) this._reconnectWindowMs = joined.reconnect_window_secs * 1000;
    this.sid = joined.room.sid;
    this.name = joined.room.name;
    // One self-hosted server carries both signaling and media.
    this.mediaRegion = new URL(this._options.signalingUrl || signalingUrl()).host;
    this.localParticipant.signalingRegion = this.mediaRegion;
    this.localParticipant._setIdentity(joined.participant);
    const present = new Set();
    for (const info of joined.participants || []) {
      if (info.sid === joined.participant.sid) continue;
      present.add(info.sid);
      this._peerKey(info.sid, info.e2ee_key);
      const existing = this.participants.get(info.sid);
      if (existing) {
        existing._syncPublications(info.tracks || []);
        existing._setReconnecting(!!info.reconnecting);
      } else this._addParticipant(info, this.state !== 'connecting');
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
    participant.on('reconnecting', () => this.emit('participantReconnecting', participant));
    participant.on('reconnected', () => this.emit('participantReconnected', participant));
    if (info.reconnecting) participant.state = 'reconnecting';
    this.participants.set(participant.sid, participant);
    if (announce) this.emit('participantConnected', participant);
  }

  /** @param {string} sid */
  _removeParticipant(sid) {
    const participant = this.participants.get(sid);
    if (!participant) return;
    // twilio-video's order: the leaver's trackUnsubscribed, then
    // participantDisconnected, then dominantSpeakerChanged.
    participant._disconnect();
    this.participants.delete(sid);
    this.emit('participantDisconnected', participant);
    if (this.dominantSpeaker === participant) this._setDominantSpeaker(null);
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
        this._peerKey(info.sid, info.e2ee_key);
        this._reconcileSubscriptions();
        break;
      }
      case 'participant_disconnected':
        if (this.e2ee) this.e2ee.removePeer(msg.participant_sid);
        this._removeParticipant(msg.participant_sid);
        break;
      case 'e2ee_key':
        this._peerKey(msg.participant_sid, msg.public_key);
        break;
      case 'participant_reconnecting':
      case 'participant_reconnected':
        if (participant) participant._setReconnecting(msg.type === 'participant_reconnecting');
        break;
      case 'track_published':
        // Our own track: the server tells us the SID the others see.
        if (msg.track && msg.participant_sid === this.localParticipant.sid) this.localParticipant._setServerSid(msg.track);
        else if (participant && msg.track) {
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
      case 'track_priority':
        if (participant) participant._setPublishPriority(msg.track_sid, msg.priority);
        break;
      case 'track_switched':
        for (const p of this.participants.values()) if (p.tracks.has(msg.track_sid)) p._setSwitchedOff(msg.track_sid, msg.off === true);
        break;
      case 'dominant_speaker':
        this._setDominantSpeaker(msg.participant_sid || null);
        break;
      case 'network_quality':
        this._applyNetworkQuality(msg.participants || []);
        break;
      case 'error':
        sdkLog.warn(`server error ${msg.code}: ${msg.message}`);
        break;
      default:
        break; // pong, and message types newer than this SDK
    }
  }

  /**
   * Someone's public key for end-to-end encryption, when we encrypt.
   * @param {string} participantSid
   * @param {string|undefined} publicKey
   */
  _peerKey(participantSid, publicKey) {
    if (!this.e2ee || typeof publicKey !== 'string') return;
    this.e2ee.setPeer(participantSid, publicKey).catch((err) => sdkLog.warn(`no end-to-end key with ${participantSid}:`, err));
  }

  /**
   * @param {import('./networkquality.js').NetworkQualityEntry[]} entries
   */
  _applyNetworkQuality(entries) {
    const verbosity = this._options.networkQuality;
    if (!verbosity) return;
    for (const entry of entries) {
      if (entry.participant_sid === this.localParticipant.sid) applyNetworkQuality(this.localParticipant, entry, verbosity.local);
      else {
        const participant = this.participants.get(entry.participant_sid);
        if (participant) applyNetworkQuality(participant, entry, verbosity.remote);
      }
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
    const remoteData = peer ? peer.remoteData : new Map();
    /** @type {Array<[RemoteParticipant, RemoteTrackPublication, MediaStreamTrack|import('./datatrack.js').RemoteDataChannel]>} */
    const toSubscribe = [];
    // Unsubscribe everything stale first, so a reused receiver track is never
    // held by two publications at once.
    for (const participant of this.participants.values()) {
      for (const publication of participant.tracks.values()) {
        if (publication.kind === 'data') {
          // The server's channel labelled with the track's SID.
          const channel = remoteData.get(publication.trackSid);
          const track = publication.track;
          if (track && track.kind === 'data' && track._source !== channel) participant._unsubscribe(publication);
          if (channel && !publication.track) toSubscribe.push([participant, publication, channel]);
          continue;
        }
        const r = remote.get(publication.trackSid);
        const ok = !!r && r.participantSid === participant.sid && r.kind === publication.kind;
        const track = publication.track;
        if (track && (!ok || track.kind === 'data' || track.mediaStreamTrack !== r.mediaStreamTrack)) {
          participant._unsubscribe(publication);
        }
        if (ok && !publication.track) toSubscribe.push([participant, publication, r.mediaStreamTrack]);
      }
    }
    const options = {
      switchOffControl: this._options.switchOffControl,
      contentPreferencesMode: this._options.contentPreferencesMode,
      sendPreferences: (/** @type {import('./remotetrack.js').RemoteTrack} */ track) => this._sendPreferences(track),
    };
    for (const [participant, publication, source] of toSubscribe) {
      participant._subscribe(publication, source, options);
      // A track subscribed again on a new session: the server starts from defaults.
      const track = publication.track;
      if (track && track.kind !== 'data' && track._hasPreferences) this._sendPreferences(track);
    }
  }

  /**
   * What this client wants of a remote track: its priority, whether it is
   * switched on, the size it is shown at (docs/signaling.md, 4.9).
   * @param {import('./remotetrack.js').RemoteTrack} track
   */
  _sendPreferences(track) {
    const session = this._session;
    if (!session || this.state === 'disconnected') return;
    const p = track._preferences;
    session.signaling.send({ type: 'track_preferences', track_sid: track.sid, priority: p.priority, enabled: p.enabled, render_dimensions: p.renderDimensions });
  }

  /** @param {LocalTrack|LocalDataTrack} track */
  async _publish(track) {
    const session = this._session;
    // Without a started session, the next one sends every publication.
    if (!session || !session.peer) return;
    try {
      await withTimeout(session.peer.publish(track), PUBLISH_TIMEOUT_MS, () => (track.kind === 'data'
        ? createError(53405, `the data channel of ${JSON.stringify(track.name)} did not open within ${PUBLISH_TIMEOUT_MS / 1000} s`)
        : createError(53000, 'the server did not answer the offer publishing the track')));
    } catch (err) {
      // The connection was replaced meanwhile; the new one publishes it.
      if (this._session !== session && this.state !== 'disconnected') return;
      // A channel that did not open is not left to open later.
      if (track.kind === 'data' && session.peer) session.peer.unpublish(track);
      throw err;
    }
  }

  /** @param {LocalTrack|LocalDataTrack} track */
  async _unpublish(track) {
    const peer = this._session && this._session.peer;
    if (peer) await peer.unpublish(track);
  }

  /**
   * Reconnecting while the session's media or websocket is interrupted;
   * reconnected once both are back.
   * @param {Session} session
   */
  _checkConnection(session) {
    if (session !== this._session || this._rejoining || this.state === 'connecting' || this.state === 'disconnected') return;
    const media = session.peer ? session.peer.pc.connectionState : 'new';
    const healthy = session.signalingUp && media === 'connected';
    if (!healthy && this.state === 'connected') {
      this._setReconnecting(session.signalingUp ? createError(53405, `the media connection was interrupted (${media})`) : createError(53001, 'the signaling connection was interrupted'));
    } else if (healthy && this.state === 'reconnecting') {
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
    if (this.state === 'connecting' || this._rejoining) return;
    // The server no longer has us (it restarted, or our window passed
    // there first): a new participant, while our own window lasts.
    if (/** @type {any} */ (error).removed) this._finish(undefined, true);
    else if (isRetryable(error) || error.code === 53204) this._rejoin(error);
    else this._finish(error, true);
  }

  /** @param {TwilioError} error */
  async _rejoin(error) {
    if (this._rejoining || this.state === 'disconnected') return;
    if (this.state === 'connected') this._setReconnecting(error);
    this._rejoining = true;
    const old = this._session;
    this._session = null;
    if (old) old.close();
    this._reconcileSubscriptions(); // the old connection's media is gone
    const deadline = this._reconnectStarted + this._reconnectWindowMs;
    /** @type {Error} */
    let lastError = error;
    let delay = 250;
    while (this.state === 'reconnecting' && Date.now() < deadline) {
      try {
        await this._establish(Math.min(deadline - Date.now(), JOIN_TIMEOUT_MS));
      } catch (err) {
        if (this.state !== 'reconnecting') return;
        lastError = err;
        if (FINAL_JOIN_CODES.has(err && err.code)) break;
        await sleep(Math.min(delay, deadline - Date.now()));
        delay = Math.min(delay * 2, 2000);
        continue;
      }
      if (this.state !== 'reconnecting') return;
      this._rejoining = false;
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
    this._reconnectError = error;
    clearTimeout(this._windowTimer);
    // Past the window the server has given our place away: twilio-video
    // disconnects here, and so do we.
    this._windowTimer = setTimeout(() => {
      if (this.state === 'reconnecting') this._finish(this._reconnectError || error, true);
    }, this._reconnectWindowMs);
    this.emit('reconnecting', error);
  }

  _setConnected() {
    clearTimeout(this._windowTimer);
    this.state = 'connected';
    this.localParticipant.state = 'connected';
    this.emit('reconnected');
  }

  /**
   * @param {Error|undefined} error undefined for a disconnect the app asked
   *   for, or the clinic removing this participant
   * @param {boolean} emit
   */
  _finish(error, emit) {
    if (this.state === 'disconnected') return;
    this.state = 'disconnected';
    this._rejoining = false;
    clearTimeout(this._windowTimer);
    window.removeEventListener('pagehide', this._onPageHide);
    const session = this._session;
    this._session = null;
    if (session) session.close();
    if (this.e2ee) this.e2ee.close();
    for (const participant of this.participants.values()) participant._disconnect();
    this.localParticipant.state = 'disconnected';
    this.localParticipant.emit('disconnected', this.localParticipant);
    if (this._options.stopTracksOnDisconnect) for (const track of this.localParticipant._mediaTracks()) track.stop();
    if (emit) this.emit('disconnected', this, error);
  }
}
