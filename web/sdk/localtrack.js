// The user's own camera and microphone. A LocalTrack outlives rooms (an app
// can preview it before connecting and keep it after leaving), so it knows
// nothing about signaling: it emits `enabled` / `disabled`, and whoever
// publishes it (LocalParticipant) tells the server. It does keep the
// RTCRtpSenders that send it, because restart() must swap the new camera
// track into them with replaceTrack — without renegotiation, so the other
// side sees no unpublish/publish.

import { Track } from './track.js';
import { getUserMedia, splitOptions } from './media.js';
import { unsupported } from './errors.js';

/**
 * @typedef {object} LocalTrackOptions
 * @property {string} [name] the name others see; defaults to the MediaStreamTrack's id, like twilio-video
 * @property {MediaTrackConstraints} [constraints] what restart() asks getUserMedia for by default
 */

export class LocalTrack extends Track {
  /**
   * @param {MediaStreamTrack} mediaStreamTrack
   * @param {LocalTrackOptions} [options]
   */
  constructor(mediaStreamTrack, options = {}) {
    super(mediaStreamTrack, options.name || mediaStreamTrack.id);
    /** @type {string} */
    this.id = mediaStreamTrack.id;
    /** @type {MediaTrackConstraints} */
    this._constraints = options.constraints || {};
    /** @type {Set<RTCRtpSender>} */
    this._senders = new Set();
    /** @type {import('./remotetrack.js').Priority} its publication's priority, which offers carry */
    this._priority = 'standard';
    this._onEnded = () => this.emit('stopped', this);
    // The browser mutes a source that stops giving media (a camera taken by
    // another app, a microphone the OS cut off); twilio-video says so.
    this._onMute = () => this.emit('muted', this);
    this._onUnmute = () => this.emit('unmuted', this);
    this._listen(mediaStreamTrack);
  }

  /** @param {MediaStreamTrack} mediaStreamTrack */
  _listen(mediaStreamTrack) {
    mediaStreamTrack.addEventListener('ended', this._onEnded);
    mediaStreamTrack.addEventListener('mute', this._onMute);
    mediaStreamTrack.addEventListener('unmute', this._onUnmute);
  }

  /** @param {MediaStreamTrack} mediaStreamTrack */
  _unlisten(mediaStreamTrack) {
    mediaStreamTrack.removeEventListener('ended', this._onEnded);
    mediaStreamTrack.removeEventListener('mute', this._onMute);
    mediaStreamTrack.removeEventListener('unmute', this._onUnmute);
  }

  /** @returns {boolean} whether the source gives no media (not the same as disabled) */
  get isMuted() {
    return this.mediaStreamTrack.muted;
  }

  /** @returns {boolean} */
  get isEnabled() {
    return this.mediaStreamTrack.enabled;
  }

  /** @returns {boolean} */
  get isStopped() {
    return this.mediaStreamTrack.readyState === 'ended';
  }

  /** @returns {boolean} */
  get isStarted() {
    return this.mediaStreamTrack.readyState === 'live';
  }

  /**
   * Mutes (false) or unmutes (true). The track keeps sending (silence or
   * black frames), so unmuting is instant and needs no renegotiation.
   * @param {boolean} [enabled]
   * @returns {this}
   */
  enable(enabled = true) {
    if (this.mediaStreamTrack.enabled === enabled) return this;
    this.mediaStreamTrack.enabled = enabled;
    this.emit(enabled ? 'enabled' : 'disabled', this);
    return this;
  }

  /** @returns {this} */
  disable() {
    return this.enable(false);
  }

  /** @returns {this} */
  stop() {
    if (this.isStopped) return this;
    this.mediaStreamTrack.stop();
    // MediaStreamTrack.stop() does not fire 'ended' itself.
    this.emit('stopped', this);
    return this;
  }

  /**
   * Replaces the camera/microphone track, for example to switch device
   * (`restart({deviceId: {exact: id}})`), keeping name, publication and
   * enabled state.
   * @param {MediaTrackConstraints & {name?: string}} [constraints] defaults to the ones the track was created with
   * @returns {Promise<void>}
   */
  async restart(constraints) {
    const wanted = constraints ? splitOptions(constraints).constraints : this._constraints;
    const enabled = this.isEnabled;
    // Some cameras cannot be opened twice: release the old one first.
    this._unlisten(this.mediaStreamTrack);
    this.mediaStreamTrack.stop();
    const stream = await getUserMedia({ [this.kind]: Object.keys(wanted).length ? wanted : true });
    const fresh = stream.getTracks().find((t) => t.kind === this.kind);
    if (!fresh) throw new Error(`getUserMedia returned no ${this.kind} track`);
    fresh.enabled = enabled;
    this.mediaStreamTrack = fresh;
    this._constraints = wanted;
    this._listen(fresh);
    await Promise.all([...this._senders].map((sender) => sender.replaceTrack(fresh)));
    this._reattach();
    this.emit('started', this);
  }
}

export class LocalAudioTrack extends LocalTrack {
  /**
   * @param {MediaStreamTrack} mediaStreamTrack
   * @param {LocalTrackOptions} [options]
   */
  constructor(mediaStreamTrack, options) {
    if (mediaStreamTrack.kind !== 'audio') throw new TypeError('LocalAudioTrack needs an audio MediaStreamTrack');
    super(mediaStreamTrack, options);
    /** @type {null} twilio-video's Krisp noise cancellation, which Confide does not have: always null */
    this.noiseCancellation = null;
  }
}

export class LocalVideoTrack extends LocalTrack {
  /**
   * @param {MediaStreamTrack} mediaStreamTrack
   * @param {LocalTrackOptions} [options]
   */
  constructor(mediaStreamTrack, options) {
    if (mediaStreamTrack.kind !== 'video') throw new TypeError('LocalVideoTrack needs a video MediaStreamTrack');
    super(mediaStreamTrack, options);
    /** @type {null} no video processors (addProcessor is unsupported) */
    this.processor = null;
    /** @type {null} */
    this.processedTrack = null;
  }

  /** @returns {never} */
  addProcessor() {
    throw unsupported('VideoTrack.addProcessor');
  }

  /** @returns {never} */
  removeProcessor() {
    throw unsupported('VideoTrack.removeProcessor');
  }

  /** @returns {{width: number|null, height: number|null}} */
  get dimensions() {
    const s = this.mediaStreamTrack.getSettings();
    return { width: s.width ?? null, height: s.height ?? null };
  }
}

/**
 * Wraps a MediaStreamTrack in the LocalTrack class for its kind.
 * @param {MediaStreamTrack} mediaStreamTrack
 * @param {LocalTrackOptions} [options]
 * @returns {LocalAudioTrack|LocalVideoTrack}
 */
export function wrapMediaStreamTrack(mediaStreamTrack, options) {
  return mediaStreamTrack.kind === 'audio'
    ? new LocalAudioTrack(mediaStreamTrack, options)
    : new LocalVideoTrack(mediaStreamTrack, options);
}
