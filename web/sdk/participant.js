// Another participant in the room, as twilio-video presents it: publications
// by track SID (all, audio, video), and events for each change of a
// publication or its subscription, and each message of its data tracks
// (`trackMessage`). The Room drives it from server messages and from the
// peer connection's track mapping and data channels; nothing here talks to
// the network.

import { EventEmitter } from './events.js';
import { RemoteTrackPublication } from './publication.js';

/** @typedef {import('./signaling.js').ParticipantInfo} ParticipantInfo */
/** @typedef {import('./signaling.js').TrackInfo} TrackInfo */
/** @typedef {import('./remotetrack.js').RemoteAudioTrack} RemoteAudioTrack */
/** @typedef {import('./remotetrack.js').RemoteVideoTrack} RemoteVideoTrack */
/** @typedef {import('./datatrack.js').RemoteDataChannel} RemoteDataChannel */

export class RemoteParticipant extends EventEmitter {
  /** @param {ParticipantInfo} info */
  constructor(info) {
    super();
    /** @type {string} */
    this.sid = info.sid;
    /** @type {string} */
    this.identity = info.identity;
    /** @type {'connected'|'reconnecting'|'disconnected'} */
    this.state = 'connected';
    /** @type {Map<string, RemoteTrackPublication>} */
    this.tracks = new Map();
    /** @type {Map<string, RemoteTrackPublication>} */
    this.audioTracks = new Map();
    /** @type {Map<string, RemoteTrackPublication>} */
    this.videoTracks = new Map();
    /** @type {Map<string, RemoteTrackPublication>} */
    this.dataTracks = new Map();
    /** @type {number|null} 0–5 when connect() asked for remote network quality */
    this.networkQualityLevel = null;
    /** @type {object|null} */
    this.networkQualityStats = null;
    for (const t of info.tracks || []) this._addPublication(t, false);
  }

  /**
   * The server says this participant's connection was interrupted (or is
   * back): twilio-video's `reconnecting` / `reconnected`.
   * @param {boolean} reconnecting
   */
  _setReconnecting(reconnecting) {
    if (this.state === 'disconnected') return;
    const state = reconnecting ? 'reconnecting' : 'connected';
    if (state === this.state) return;
    this.state = state;
    this.emit(reconnecting ? 'reconnecting' : 'reconnected');
  }

  /**
   * @param {TrackInfo} info
   * @param {boolean} [announce] emit trackPublished (not for tracks already there when we joined)
   * @returns {RemoteTrackPublication}
   */
  _addPublication(info, announce = true) {
    const existing = this.tracks.get(info.sid);
    if (existing) {
      this._setTrackEnabled(info.sid, info.enabled !== false);
      if (info.priority) this._setPublishPriority(info.sid, info.priority);
      return existing;
    }
    const publication = new RemoteTrackPublication(info);
    this.tracks.set(info.sid, publication);
    this._kindMap(publication.kind).set(info.sid, publication);
    if (announce) this.emit('trackPublished', publication);
    return publication;
  }

  /** @param {string} trackSid */
  _removePublication(trackSid) {
    const publication = this.tracks.get(trackSid);
    if (!publication) return;
    this._unsubscribe(publication);
    this.tracks.delete(trackSid);
    this._kindMap(publication.kind).delete(trackSid);
    this.emit('trackUnpublished', publication);
  }

  /**
   * @param {string} kind
   * @returns {Map<string, RemoteTrackPublication>}
   */
  _kindMap(kind) {
    return kind === 'audio' ? this.audioTracks : kind === 'data' ? this.dataTracks : this.videoTracks;
  }

  /**
   * Makes the publications match `infos` (after a rejoin, from `joined`).
   * @param {TrackInfo[]} infos
   */
  _syncPublications(infos) {
    const wanted = new Set(infos.map((t) => t.sid));
    for (const sid of [...this.tracks.keys()]) if (!wanted.has(sid)) this._removePublication(sid);
    for (const info of infos) this._addPublication(info);
  }

  /**
   * @param {RemoteTrackPublication} publication
   * @param {MediaStreamTrack|RemoteDataChannel} source the receiver's track, or a data track's channel
   * @param {Parameters<RemoteTrackPublication['_subscribe']>[1]} options
   */
  _subscribe(publication, source, options) {
    const track = publication._subscribe(source, options);
    if (track.kind === 'data') {
      track.on('message', (/** @type {string|ArrayBuffer} */ data) => this.emit('trackMessage', data, track));
      this.emit('trackSubscribed', track, publication);
      // Messages start once the app has heard of the track (and could
      // listen): those that came before are delivered now.
      track._start();
      return;
    }
    track.once('started', () => this.emit('trackStarted', track));
    track.on('dimensionsChanged', () => this.emit('trackDimensionsChanged', track));
    this.emit('trackSubscribed', track, publication);
  }

  /**
   * @param {string} trackSid
   * @param {boolean} off
   */
  _setSwitchedOff(trackSid, off) {
    const publication = this.tracks.get(trackSid);
    if (publication && publication._setSwitchedOff(off)) {
      this.emit(off ? 'trackSwitchedOff' : 'trackSwitchedOn', publication.track, publication);
    }
  }

  /**
   * @param {string} trackSid
   * @param {import('./remotetrack.js').Priority} priority
   */
  _setPublishPriority(trackSid, priority) {
    const publication = this.tracks.get(trackSid);
    if (publication && publication._setPublishPriority(priority)) {
      this.emit('trackPublishPriorityChanged', priority, publication);
    }
  }

  /** @param {RemoteTrackPublication} publication */
  _unsubscribe(publication) {
    const track = publication._unsubscribe();
    if (track) this.emit('trackUnsubscribed', track, publication);
  }

  _unsubscribeAll() {
    for (const publication of this.tracks.values()) this._unsubscribe(publication);
  }

  /**
   * @param {string} trackSid
   * @param {boolean} enabled
   */
  _setTrackEnabled(trackSid, enabled) {
    const publication = this.tracks.get(trackSid);
    if (publication && publication._setEnabled(enabled)) {
      this.emit(enabled ? 'trackEnabled' : 'trackDisabled', publication);
    }
  }

  /** They left (or we did): media stops, publications stay readable. */
  _disconnect() {
    if (this.state === 'disconnected') return;
    this._unsubscribeAll();
    this.state = 'disconnected';
    this.emit('disconnected', this);
  }
}
