// Another participant's audio or video as received through the SFU.
//
// `isEnabled` is the publisher's mute state, which arrives as signaling
// (`track_enabled`), not as media: a muted publisher keeps sending silence
// or black frames. `started` is when media actually arrives, which the
// browser shows by unmuting the receiver's MediaStreamTrack on the first
// packets.
//
// What this client wants of the track goes to the server as its
// preferences (`track_preferences`, docs/signaling.md): a priority, which
// weighs the track's share of a narrow downlink, and for video whether it
// is wanted at all. A video track nobody looks at is switched off: the
// server stops forwarding it and says so (`track_switched`), which is what
// `isSwitchedOff` and the `switchedOff`/`switchedOn` events report. Who
// decides is `bandwidthProfile.video.clientTrackSwitchOffControl`:
// 'manual' is the app (switchOff()/switchOn()), 'auto' is this file (off
// while no attached element is visible on a visible page, as twilio-video
// does), and without a bandwidth profile nothing is ever switched off.

import { Track } from './track.js';
import { unsupported } from './errors.js';

/** @typedef {'low'|'standard'|'high'} Priority */
/** @typedef {'auto'|'manual'|'disabled'} SwitchOffControl */
/** @typedef {'auto'|'manual'|'disabled'} ContentPreferencesMode */
/**
 * @typedef {object} Preferences what is sent to the server for one track
 * @property {Priority|null} priority
 * @property {boolean} enabled
 * @property {{width: number, height: number}|null} renderDimensions
 */

/** An element must stay out of sight this long before the track is switched
 * off: React and similar libraries detach and re-attach while re-rendering. */
const SWITCH_OFF_DELAY_MS = 500;

export const PRIORITIES = /** @type {const} */ (['low', 'standard', 'high']);

/**
 * @param {unknown} priority
 * @param {boolean} nullable
 * @returns {Priority|null}
 */
export function checkPriority(priority, nullable) {
  if ((nullable && priority === null) || PRIORITIES.includes(/** @type {any} */ (priority))) return /** @type {Priority|null} */ (priority);
  // twilio-video's error for this: a RangeError naming the values.
  throw new RangeError(`priority must be one of ${PRIORITIES.map((p) => JSON.stringify(p)).join(', ')}${nullable ? ', null' : ''}`);
}

export class RemoteTrack extends Track {
  /**
   * @param {MediaStreamTrack} mediaStreamTrack the receiver's track
   * @param {{sid: string, name: string, enabled: boolean}} info
   * @param {{switchOffControl?: SwitchOffControl, contentPreferencesMode?: ContentPreferencesMode, sendPreferences?: (track: RemoteTrack) => void}} [options]
   */
  constructor(mediaStreamTrack, info, options = {}) {
    super(mediaStreamTrack, info.name);
    /** @type {string} */
    this.sid = info.sid;
    /** @type {boolean} */
    this.isEnabled = info.enabled;
    /** @type {boolean} */
    this.isStarted = !mediaStreamTrack.muted;
    /** Set by the server's `track_switched`. */
    this.isSwitchedOff = false;
    /** @type {Priority|null} this subscriber's priority; null: the publisher's */
    this.priority = null;
    /** @type {SwitchOffControl} */
    this._switchOffControl = options.switchOffControl || 'disabled';
    /** @type {ContentPreferencesMode} */
    this._contentPreferencesMode = options.contentPreferencesMode || 'disabled';
    this._sendPreferences = options.sendPreferences || (() => {});
    /** @type {Preferences} */
    this._preferences = { priority: null, enabled: true, renderDimensions: null };
    this._onUnmute = () => {
      if (this.isStarted) return;
      this.isStarted = true;
      this.emit('started', this);
    };
    mediaStreamTrack.addEventListener('unmute', this._onUnmute);
  }

  /**
   * This subscriber's priority for the track (null: the one it was
   * published with). Under a narrow downlink, higher-priority video gets a
   * larger share.
   * @param {Priority|null} priority
   * @returns {this}
   */
  setPriority(priority) {
    this.priority = checkPriority(priority, true);
    this._updatePreferences({ priority: this.priority });
    return this;
  }

  /** @param {Partial<Preferences>} change */
  _updatePreferences(change) {
    const next = { ...this._preferences, ...change };
    if (JSON.stringify(next) === JSON.stringify(this._preferences)) return;
    this._preferences = next;
    this._sendPreferences(this);
  }

  /** Whether the preferences differ from the server's defaults (worth sending to a new session). */
  get _hasPreferences() {
    const p = this._preferences;
    return p.priority !== null || !p.enabled || p.renderDimensions !== null;
  }

  /** @param {boolean} enabled */
  _setEnabled(enabled) {
    if (this.isEnabled === enabled) return;
    this.isEnabled = enabled;
    this.emit(enabled ? 'enabled' : 'disabled', this);
  }

  /**
   * The server's word on whether it forwards the track.
   * @param {boolean} off
   * @returns {boolean} whether it changed
   */
  _setSwitchedOff(off) {
    if (this.isSwitchedOff === off) return false;
    this.isSwitchedOff = off;
    this.emit(off ? 'switchedOff' : 'switchedOn', this);
    return true;
  }

  /** The receiver may carry another track later (the SFU reuses m-lines): stop listening to it. */
  _dispose() {
    this.mediaStreamTrack.removeEventListener('unmute', this._onUnmute);
  }
}

export class RemoteAudioTrack extends RemoteTrack {}

export class RemoteVideoTrack extends RemoteTrack {
  /**
   * @param {MediaStreamTrack} mediaStreamTrack
   * @param {{sid: string, name: string, enabled: boolean}} info
   * @param {ConstructorParameters<typeof RemoteTrack>[2]} [options]
   */
  constructor(mediaStreamTrack, info, options) {
    super(mediaStreamTrack, info, options);
    /** @type {null} no video processors (addProcessor is unsupported) */
    this.processor = null;
    /** @type {null} */
    this.processedTrack = null;
    /** @type {Set<Element>} attached elements the IntersectionObserver last saw on screen */
    this._visible = new Set();
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this._switchOffTimer = undefined;
    const watch = this._switchOffControl === 'auto' || this._contentPreferencesMode === 'auto';
    this._observer = watch && typeof IntersectionObserver === 'function'
      ? new IntersectionObserver((entries) => {
        for (const e of entries) {
          if (e.isIntersecting) this._visible.add(e.target);
          else this._visible.delete(e.target);
        }
        this._autoHint();
      })
      : null;
    // A tile that grows or shrinks changes the size worth sending.
    this._resizeObserver = this._observer && this._contentPreferencesMode === 'auto' && typeof ResizeObserver === 'function'
      ? new ResizeObserver(() => this._autoHint())
      : null;
    this._onVisibility = () => this._autoHint();
    if (this._observer) {
      document.addEventListener('visibilitychange', this._onVisibility);
      // Not attached anywhere yet: off until the app shows it.
      this._autoHint();
    }
    this._watchDimensions();
  }

  /** @returns {{width: number|null, height: number|null}} */
  get dimensions() {
    return this._dimensions;
  }

  /** @returns {never} */
  addProcessor() {
    throw unsupported('VideoTrack.addProcessor');
  }

  /** @returns {never} */
  removeProcessor() {
    throw unsupported('VideoTrack.removeProcessor');
  }

  /** @returns {this} */
  switchOn() {
    if (this._switchOffControl !== 'manual') {
      throw new Error('Invalid state. You can call switchOn only when bandwidthProfile.video.clientTrackSwitchOffControl is set to "manual"');
    }
    this._updatePreferences({ enabled: true });
    return this;
  }

  /** @returns {this} */
  switchOff() {
    if (this._switchOffControl !== 'manual') {
      throw new Error('Invalid state. You can call switchOff only when bandwidthProfile.video.clientTrackSwitchOffControl is set to "manual"');
    }
    this._updatePreferences({ enabled: false });
    return this;
  }

  /**
   * The size the app renders the track at, so the server can send a
   * smaller simulcast layer to a small tile.
   * @param {{renderDimensions?: {width: number, height: number}}} preferences
   * @returns {this}
   */
  setContentPreferences(preferences) {
    if (this._contentPreferencesMode !== 'manual') {
      throw new Error('Invalid state. You can call setContentPreferences only when bandwidthProfile.video.contentPreferencesMode is set to "manual"');
    }
    const d = preferences && preferences.renderDimensions;
    if (d) this._updatePreferences({ renderDimensions: { width: Math.round(d.width), height: Math.round(d.height) } });
    return this;
  }

  /** @param {HTMLMediaElement} el */
  _attachTo(el) {
    super._attachTo(el);
    if (this._observer) this._observer.observe(el);
    if (this._resizeObserver) this._resizeObserver.observe(el);
  }

  /** @param {HTMLMediaElement} el */
  _detachFrom(el) {
    super._detachFrom(el);
    if (this._resizeObserver) this._resizeObserver.unobserve(el);
    if (this._observer) {
      this._observer.unobserve(el);
      this._visible.delete(el);
      // detach() removes the element from the set after this call.
      queueMicrotask(() => this._autoHint());
    }
  }

  /** 'auto' modes: on at once when shown, off once out of sight for a
   * moment; the render size is that of the largest element showing it. */
  _autoHint() {
    if (!this._observer || this._disposed) return;
    const shown = [...this._visible].filter((el) => this._attachments.has(/** @type {HTMLMediaElement} */ (el)));
    if (this._contentPreferencesMode === 'auto' && shown.length) {
      const largest = shown.reduce((a, b) => (b.clientWidth * b.clientHeight > a.clientWidth * a.clientHeight ? b : a));
      if (largest.clientWidth && largest.clientHeight) this._updatePreferences({ renderDimensions: { width: largest.clientWidth, height: largest.clientHeight } });
    }
    if (this._switchOffControl !== 'auto') return;
    clearTimeout(this._switchOffTimer);
    if (document.visibilityState === 'visible' && shown.length) this._updatePreferences({ enabled: true });
    else this._switchOffTimer = setTimeout(() => this._updatePreferences({ enabled: false }), SWITCH_OFF_DELAY_MS);
  }

  /** Follows the frames' size through an element of our own (the app's may not exist or play). */
  _watchDimensions() {
    const s = this.mediaStreamTrack.getSettings();
    /** @type {{width: number|null, height: number|null}} */
    this._dimensions = { width: s.width ?? null, height: s.height ?? null };
    const probe = document.createElement('video');
    probe.muted = true;
    probe.playsInline = true;
    probe.srcObject = new MediaStream([this.mediaStreamTrack]);
    probe.addEventListener('resize', () => {
      const { videoWidth: width, videoHeight: height } = probe;
      if (!width || !height || (width === this._dimensions.width && height === this._dimensions.height)) return;
      this._dimensions = { width, height };
      this.emit('dimensionsChanged', this);
    });
    probe.play().catch(() => {});
    this._probe = probe;
  }

  _dispose() {
    super._dispose();
    // No preferences for a track this client no longer receives.
    this._disposed = true;
    clearTimeout(this._switchOffTimer);
    if (this._resizeObserver) this._resizeObserver.disconnect();
    if (this._observer) {
      this._observer.disconnect();
      document.removeEventListener('visibilitychange', this._onVisibility);
    }
    if (this._probe) {
      this._probe.srcObject = null;
      this._probe = undefined;
    }
  }
}
