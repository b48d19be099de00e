// Publications: the room-level record that a participant publishes a track,
// separate from the media itself. For a remote participant the publication
// exists as soon as the server announces the track (`joined` or
// `track_published`); its `track` appears only once the server has
// subscribed this client and the m-line carrying it is negotiated, and goes
// away on unsubscribe — which is why twilio-video has both objects. A data
// track's publication is the same class (twilio-video's
// LocalDataTrackPublication/RemoteDataTrackPublication have nothing more);
// its track is subscribed when the server's data channel for it is there.

import { deferred } from './util.js';
import { EventEmitter } from './events.js';
import { RemoteAudioTrack, RemoteVideoTrack, checkPriority } from './remotetrack.js';
import { RemoteDataTrack } from './datatrack.js';

/** @typedef {import('./track.js').Kind | 'data'} Kind */
/** @typedef {import('./localtrack.js').LocalAudioTrack} LocalAudioTrack */
/** @typedef {import('./localtrack.js').LocalVideoTrack} LocalVideoTrack */
/** @typedef {import('./datatrack.js').LocalDataTrack} LocalDataTrack */
/** @typedef {import('./datatrack.js').RemoteDataChannel} RemoteDataChannel */
/** @typedef {import('./signaling.js').TrackInfo} TrackInfo */
/** @typedef {import('./remotetrack.js').Priority} Priority */
/** @typedef {import('./remotetrack.js').RemoteTrack} RemoteTrack */

export class LocalTrackPublication extends EventEmitter {
  /**
   * @param {LocalAudioTrack|LocalVideoTrack|LocalDataTrack} track
   * @param {string} trackSid
   * @param {(track: LocalAudioTrack|LocalVideoTrack|LocalDataTrack) => unknown} unpublish
   * @param {Priority} priority
   * @param {(publication: LocalTrackPublication) => void} sendPriority
   */
  constructor(track, trackSid, unpublish, priority, sendPriority) {
    super();
    /**
     * Made up by this client until the server tells the SID the others see
     * (`track_published`, once the track's first packets arrived); then
     * that one.
     * @type {string}
     */
    this.trackSid = trackSid;
    /** @type {string} */
    this.trackName = track.name;
    /** @type {Kind} */
    this.kind = track.kind;
    /** @type {LocalAudioTrack|LocalVideoTrack|LocalDataTrack} */
    this.track = track;
    /** @type {Priority} what subscribers get unless they set their own */
    this.priority = priority;
    this._unpublish = unpublish;
    /**
     * Settled when the server's SID replaces the made-up one.
     * @type {ReturnType<typeof deferred<void>>}
     */
    this._serverSid = deferred();
    this._sendPriority = sendPriority;
  }

  /**
   * @param {Priority} priority
   * @returns {this}
   */
  setPriority(priority) {
    checkPriority(priority, false);
    if (priority === this.priority) return this;
    this.priority = priority;
    this._sendPriority(this);
    return this;
  }

  /** @returns {boolean} */
  get isTrackEnabled() {
    // twilio-video's: a data track is always enabled.
    return this.track.kind === 'data' ? true : this.track.isEnabled;
  }

  /** @returns {boolean} twilio-video's deprecated name for isTrackEnabled */
  get isEnabled() {
    return this.isTrackEnabled;
  }

  /** @returns {this} */
  unpublish() {
    this._unpublish(this.track);
    return this;
  }
}

export class RemoteTrackPublication extends EventEmitter {
  /** @param {TrackInfo} info */
  constructor(info) {
    super();
    /** @type {string} */
    this.trackSid = info.sid;
    /** @type {string} */
    this.trackName = info.name;
    /** @type {Kind} */
    this.kind = info.kind;
    /** @type {boolean} */
    this.isTrackEnabled = info.enabled !== false;
    /** @type {RemoteAudioTrack|RemoteVideoTrack|RemoteDataTrack|null} */
    this.track = null;
    /** @type {Priority} */
    this.publishPriority = info.priority || 'standard';
  }

  /** @returns {boolean} twilio-video's deprecated name for isTrackEnabled */
  get isEnabled() {
    return this.isTrackEnabled;
  }

  /** @returns {boolean} */
  get isSubscribed() {
    return this.track !== null;
  }

  /**
   * @param {MediaStreamTrack|RemoteDataChannel} source the receiver's track for this publication, or for a data track the server's channel
   * @param {ConstructorParameters<typeof RemoteVideoTrack>[2]} options
   * @returns {RemoteAudioTrack|RemoteVideoTrack|RemoteDataTrack}
   */
  _subscribe(source, options) {
    const info = { sid: this.trackSid, name: this.trackName, enabled: this.isTrackEnabled };
    let track;
    if (source instanceof MediaStreamTrack) {
      track = this.kind === 'audio' ? new RemoteAudioTrack(source, info, options) : new RemoteVideoTrack(source, info, options);
    } else track = new RemoteDataTrack(source, info);
    this.track = track;
    this.emit('subscribed', track);
    return track;
  }

  /**
   * @param {Priority} priority
   * @returns {boolean} whether it changed
   */
  _setPublishPriority(priority) {
    if (priority === this.publishPriority || !['low', 'standard', 'high'].includes(priority)) return false;
    this.publishPriority = priority;
    this.emit('publishPriorityChanged', priority);
    return true;
  }

  /**
   * @param {boolean} off
   * @returns {boolean} whether it changed
   */
  _setSwitchedOff(off) {
    const track = this.track;
    if (!track || !track._setSwitchedOff(off)) return false;
    this.emit(off ? 'trackSwitchedOff' : 'trackSwitchedOn', track);
    return true;
  }

  /** @returns {RemoteAudioTrack|RemoteVideoTrack|RemoteDataTrack|null} the track that was subscribed */
  _unsubscribe() {
    const track = this.track;
    if (!track) return null;
    track._dispose();
    this.track = null;
    this.emit('unsubscribed', track);
    return track;
  }

  /**
   * @param {boolean} enabled
   * @returns {boolean} whether it changed
   */
  _setEnabled(enabled) {
    if (this.isTrackEnabled === enabled) return false;
    this.isTrackEnabled = enabled;
    if (this.track) this.track._setEnabled(enabled);
    this.emit(enabled ? 'trackEnabled' : 'trackDisabled');
    return true;
  }
}
