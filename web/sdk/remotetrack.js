// Another participant's audio or video as received through the SFU.
//
// `isEnabled` is the publisher's mute state, which arrives as signaling
// (`track_enabled`), not as media: a muted publisher keeps sending silence
// or black frames. `started` is when media actually arrives, which the
// browser shows by unmuting the receiver's MediaStreamTrack on the first
// packets.

import { Track } from './track.js';

export class RemoteTrack extends Track {
  /**
   * @param {MediaStreamTrack} mediaStreamTrack the receiver's track
   * @param {{sid: string, name: string, enabled: boolean}} info
   */
  constructor(mediaStreamTrack, info) {
    super(mediaStreamTrack, info.name);
    /** @type {string} */
    this.sid = info.sid;
    /** @type {boolean} */
    this.isEnabled = info.enabled;
    /** @type {boolean} */
    this.isStarted = !mediaStreamTrack.muted;
    /** Confide forwards every track: nothing is ever switched off. */
    this.isSwitchedOff = false;
    /** @type {string|null} */
    this.priority = null;
    this._onUnmute = () => {
      if (this.isStarted) return;
      this.isStarted = true;
      this.emit('started', this);
    };
    mediaStreamTrack.addEventListener('unmute', this._onUnmute);
  }

  /** @param {boolean} enabled */
  _setEnabled(enabled) {
    if (this.isEnabled === enabled) return;
    this.isEnabled = enabled;
    this.emit(enabled ? 'enabled' : 'disabled', this);
  }

  /** The receiver may carry another track later (the SFU reuses m-lines): stop listening to it. */
  _dispose() {
    this.mediaStreamTrack.removeEventListener('unmute', this._onUnmute);
  }
}

export class RemoteAudioTrack extends RemoteTrack {}

export class RemoteVideoTrack extends RemoteTrack {
  /** @returns {{width: number|null, height: number|null}} */
  get dimensions() {
    const s = this.mediaStreamTrack.getSettings();
    return { width: s.width ?? null, height: s.height ?? null };
  }
}
