// This client in the room: what it publishes. The publications are the
// source of truth for "what should be sent", independent of any one
// connection — after a reconnect the Room republishes exactly this list, and
// a track published while reconnecting simply waits for the next session.
// Mute state is relayed to the server from the tracks' own events, so
// track.disable() works whether the app holds the track or the publication.

import { sdkLog } from './logger.js';
import { EventEmitter } from './events.js';
import { createError, unsupported } from './errors.js';
import { LocalTrack, wrapMediaStreamTrack } from './localtrack.js';
import { LocalDataTrack } from './datatrack.js';
import { LocalTrackPublication } from './publication.js';
import { localSid, sleep } from './util.js';
import { checkPriority } from './remotetrack.js';

/** How long publishTrack waits for the server's SID (see there). */
const SERVER_SID_WAIT_MS = 5_000;

/** @typedef {import('./localtrack.js').LocalAudioTrack} LocalAudioTrack */
/** @typedef {import('./localtrack.js').LocalVideoTrack} LocalVideoTrack */
/** @typedef {LocalAudioTrack|LocalVideoTrack|LocalDataTrack} AnyLocalTrack */
/**
 * @typedef {object} PublishHooks how the Room sends what this participant does
 * @property {(track: AnyLocalTrack) => Promise<void>} publish
 * @property {(track: AnyLocalTrack) => Promise<void>} unpublish
 * @property {(track: LocalTrack) => void} sendEnabled
 * @property {(track: AnyLocalTrack) => void} sendPriority
 */

/** The server's limits on data tracks (docs/signaling.md). */
const MAX_DATA_TRACKS = 16;
const MAX_NAME_BYTES = 128;

export class LocalParticipant extends EventEmitter {
  /** @param {PublishHooks} hooks */
  constructor(hooks) {
    super();
    this._hooks = hooks;
    /** @type {string} */
    this.sid = '';
    /** @type {string} */
    this.identity = '';
    /** @type {'connected'|'reconnecting'|'disconnected'} */
    this.state = 'connected';
    /** @type {Map<string, LocalTrackPublication>} */
    this.tracks = new Map();
    /** @type {Map<string, LocalTrackPublication>} */
    this.audioTracks = new Map();
    /** @type {Map<string, LocalTrackPublication>} */
    this.videoTracks = new Map();
    /** @type {Map<string, LocalTrackPublication>} */
    this.dataTracks = new Map();
    /** @type {string} the host of the signaling server (twilio-video: its edge region) */
    this.signalingRegion = '';
    /** @type {Map<AnyLocalTrack, () => void>} removes the listeners added on publish */
    this._unlisten = new Map();
    /** @type {number|null} 0–5 when connect() asked for networkQuality */
    this.networkQualityLevel = null;
    /** @type {object|null} */
    this.networkQualityStats = null;
    /** @type {((config: {local?: number, remote?: number}) => void)|null} set by the Room */
    this._setNetworkQualityConfiguration = null;
  }

  /**
   * twilio-video's: changes the verbosities (1–3 local, 0–3 remote).
   * @param {{local?: number, remote?: number}} config
   * @returns {this}
   */
  setNetworkQualityConfiguration(config) {
    if (this._setNetworkQualityConfiguration) this._setNetworkQualityConfiguration(config || {});
    return this;
  }

  /**
   * @param {AnyLocalTrack|MediaStreamTrack} trackOrMediaStreamTrack
   * @param {{name?: string, priority?: import('./remotetrack.js').Priority, logLevel?: unknown}} [options] name: for a MediaStreamTrack, the name others see
   * @returns {Promise<LocalTrackPublication>} once the server accepted the offer that publishes it (a data track: once its channel is open)
   */
  async publishTrack(trackOrMediaStreamTrack, options = {}) {
    const priority = checkPriority(options.priority ?? 'standard', false);
    if (this.state === 'disconnected') throw createError(53000, 'cannot publish after the room disconnected');
    const existing = this._find(trackOrMediaStreamTrack);
    if (existing) return existing;
    const track = trackOrMediaStreamTrack instanceof LocalTrack || trackOrMediaStreamTrack instanceof LocalDataTrack
      ? trackOrMediaStreamTrack
      : wrapMediaStreamTrack(trackOrMediaStreamTrack, { name: options.name });
    if ([...this.tracks.values()].some((p) => p.trackName === track.name)) {
      throw createError(53304, `a track named ${JSON.stringify(track.name)} is already published`);
    }
    if (track.kind === 'data') checkDataTrack(track, this.dataTracks.size);
    const publication = this._addPublication(track, priority);
    try {
      await this._hooks.publish(track);
    } catch (err) {
      this._removePublication(publication);
      this.emit('trackPublicationFailed', err, track);
      throw err;
    }
    // As in twilio-video, the publication resolves with the SID the others
    // see: the server sends it once the track's first packets arrived
    // (well under a second on a working connection). A track that sends
    // nothing for long (a connection still coming up) resolves with its
    // own SID, which the server's replaces when it comes.
    await Promise.race([publication._serverSid.promise, sleep(SERVER_SID_WAIT_MS)]);
    this.emit('trackPublished', publication);
    return publication;
  }

  /** @returns {never} */
  setParameters() {
    throw unsupported('LocalParticipant.setParameters');
  }

  /**
   * @param {Array<AnyLocalTrack|MediaStreamTrack>} tracks
   * @returns {Promise<LocalTrackPublication[]>}
   */
  publishTracks(tracks) {
    return Promise.all(tracks.map((t) => this.publishTrack(t)));
  }

  /**
   * @param {AnyLocalTrack|MediaStreamTrack} trackOrMediaStreamTrack
   * @returns {LocalTrackPublication|null}
   */
  unpublishTrack(trackOrMediaStreamTrack) {
    const publication = this._find(trackOrMediaStreamTrack);
    if (!publication) return null;
    this._removePublication(publication);
    this._hooks.unpublish(publication.track).catch((err) => sdkLog.warn('unpublish failed:', err));
    return publication;
  }

  /**
   * @param {Array<AnyLocalTrack|MediaStreamTrack>} tracks
   * @returns {LocalTrackPublication[]}
   */
  unpublishTracks(tracks) {
    return tracks.map((t) => this.unpublishTrack(t)).filter((p) => p !== null);
  }

  /**
   * The server's SID for a published track (the one the others see), sent
   * once its first packets arrived: the publication takes it in place of
   * the one this client made up, keeping its place in the maps.
   * @param {{sid: string, name: string}} info
   */
  _setServerSid(info) {
    const publication = [...this.tracks.values()].find((p) => p.trackName === info.name);
    if (!publication || publication.trackSid === info.sid) return;
    for (const map of [this.tracks, this._kindMap(publication.kind)]) {
      const entries = [...map].map(([sid, p]) => /** @type {[string, LocalTrackPublication]} */ ([p === publication ? info.sid : sid, p]));
      map.clear();
      for (const [sid, p] of entries) map.set(sid, p);
    }
    publication.trackSid = info.sid;
    publication._serverSid.resolve();
  }

  /** @returns {AnyLocalTrack[]} what every new session must send */
  _localTracks() {
    return [...this.tracks.values()].map((p) => p.track);
  }

  /** @returns {Array<LocalAudioTrack|LocalVideoTrack>} the camera and microphone tracks among them */
  _mediaTracks() {
    /** @type {Array<LocalAudioTrack|LocalVideoTrack>} */
    const out = [];
    for (const p of this.tracks.values()) if (p.track.kind !== 'data') out.push(p.track);
    return out;
  }

  /**
   * @param {string} kind
   * @returns {Map<string, LocalTrackPublication>}
   */
  _kindMap(kind) {
    return kind === 'audio' ? this.audioTracks : kind === 'data' ? this.dataTracks : this.videoTracks;
  }

  /**
   * Adds a publication without negotiating (the Room's next session sends it).
   * @param {AnyLocalTrack} track
   * @param {import('./remotetrack.js').Priority} [priority]
   * @returns {LocalTrackPublication}
   */
  _addPublication(track, priority = 'standard') {
    track._priority = priority;
    const sendPriority = (/** @type {LocalTrackPublication} */ p) => {
      p.track._priority = p.priority;
      this._hooks.sendPriority(p.track);
    };
    const publication = new LocalTrackPublication(track, localSid('MT'), (t) => this.unpublishTrack(t), priority, sendPriority);
    this.tracks.set(publication.trackSid, publication);
    this._kindMap(track.kind).set(publication.trackSid, publication);
    if (track.kind === 'data') return publication; // no mute state, never stopped
    const onEnabled = () => {
      this._hooks.sendEnabled(track);
      this.emit('trackEnabled', track);
    };
    const onDisabled = () => {
      this._hooks.sendEnabled(track);
      this.emit('trackDisabled', track);
    };
    const onStopped = () => this.emit('trackStopped', track);
    track.on('enabled', onEnabled).on('disabled', onDisabled).on('stopped', onStopped);
    this._unlisten.set(track, () => track.off('enabled', onEnabled).off('disabled', onDisabled).off('stopped', onStopped));
    return publication;
  }

  /** @param {LocalTrackPublication} publication */
  _removePublication(publication) {
    this.tracks.delete(publication.trackSid);
    this._kindMap(publication.kind).delete(publication.trackSid);
    const unlisten = this._unlisten.get(publication.track);
    this._unlisten.delete(publication.track);
    if (unlisten) unlisten();
  }

  /**
   * @param {AnyLocalTrack|MediaStreamTrack} trackOrMediaStreamTrack
   * @returns {LocalTrackPublication|null}
   */
  _find(trackOrMediaStreamTrack) {
    if (!trackOrMediaStreamTrack) return null;
    for (const p of this.tracks.values()) {
      if (p.track === trackOrMediaStreamTrack || (p.track.kind !== 'data' && p.track.mediaStreamTrack === trackOrMediaStreamTrack)) return p;
    }
    return null;
  }

  /** @param {{sid: string, identity: string}} info */
  _setIdentity(info) {
    this.sid = info.sid;
    this.identity = info.identity;
  }
}

/**
 * What the server would refuse in a data track (docs/signaling.md), refused
 * here with its code: a name of 1–128 bytes of UTF-8 (the channel's label),
 * at most 16 data tracks.
 * @param {LocalDataTrack} track
 * @param {number} published data tracks already published
 */
function checkDataTrack(track, published) {
  if (new TextEncoder().encode(track.name).length > MAX_NAME_BYTES) throw createError(53302, `data track names have at most ${MAX_NAME_BYTES} bytes`);
  if (published >= MAX_DATA_TRACKS) throw createError(53203, `at most ${MAX_DATA_TRACKS} data tracks per participant`);
}
