// One server session: a websocket that joined plus the peer connection
// negotiated over it. The server gives each session its own participant SID
// and never resumes one, so recovering from a lost connection means a new
// Session; the Room outlives them and carries state across.
//
// A session ends in exactly one of two ways: close() (on purpose, silent)
// or `failed(error)` (the websocket dropped, the server ended it with a
// fatal error, ICE/DTLS failed, or negotiation got stuck).

import { EventEmitter } from './events.js';
import { createError } from './errors.js';
import { SignalingChannel } from './signaling.js';
import { Peer } from './peer.js';
import { withTimeout } from './util.js';

/** @typedef {import('./signaling.js').JoinedMessage} JoinedMessage */
/** @typedef {import('./signaling.js').ServerMessage} ServerMessage */
/** @typedef {import('./localtrack.js').LocalTrack} LocalTrack */
/** @typedef {import('./peer.js').CodecPreference} CodecPreference */

/**
 * @typedef {object} SessionOptions
 * @property {string} token
 * @property {string} [roomName]
 * @property {string} [url] the signaling URL; defaults to /rtc on the page's origin
 * @property {CodecPreference[]} [preferredVideoCodecs]
 * @property {CodecPreference[]} [preferredAudioCodecs]
 */

/**
 * Events: `message(msg)` for room messages (everything negotiation does not
 * consume), `remotetracks(map)`, `connectionstate(state)`, `failed(error)`.
 */
export class Session extends EventEmitter {
  /** @param {SessionOptions} options */
  constructor(options) {
    super();
    this._options = options;
    this.signaling = new SignalingChannel(options.url);
    /** @type {Peer|null} */
    this.peer = null;
    /** @type {JoinedMessage|null} */
    this.joined = null;
    /** @type {Error|null} why it failed, once it has */
    this.error = null;
    this._done = false;
    this.signaling.on('closed', (/** @type {Error} */ error) => this._fail(error));
  }

  /**
   * @param {number} timeoutMs
   * @returns {Promise<JoinedMessage>}
   */
  async join(timeoutMs) {
    this.joined = await this.signaling.join(this._options.token, this._options.roomName, timeoutMs);
    return this.joined;
  }

  /**
   * Creates the peer connection, offers with `tracks`, and starts passing
   * held and new messages on.
   * @param {LocalTrack[]} tracks
   */
  startMedia(tracks) {
    if (this._done || !this.joined) return;
    const peer = new Peer({
      send: (msg) => this.signaling.send(msg),
      iceServers: this.joined.ice_servers,
      preferredVideoCodecs: this._options.preferredVideoCodecs,
      preferredAudioCodecs: this._options.preferredAudioCodecs,
    });
    this.peer = peer;
    peer.on('connectionstate', (/** @type {RTCPeerConnectionState} */ state) => {
      if (this._done) return;
      this.emit('connectionstate', state);
      if (state === 'failed') this._fail(createError(53405, 'ICE or DTLS failed'));
    });
    peer.on('remotetracks', (/** @type {Map<string, any>} */ map) => {
      if (!this._done) this.emit('remotetracks', map);
    });
    peer.on('failed', (/** @type {Error} */ error) => this._fail(error));
    peer.start(tracks).catch(() => {}); // failures surface as `failed` or in waitConnected
    this.signaling.setHandler((msg) => {
      if (this._done) return;
      if (!peer.handle(msg)) this.emit('message', msg);
    });
  }

  /**
   * Resolves once media is connected (ICE and DTLS).
   * @param {number} timeoutMs
   * @returns {Promise<void>}
   */
  waitConnected(timeoutMs) {
    if (this.error) return Promise.reject(this.error);
    if (this.peer && this.peer.pc.connectionState === 'connected') return Promise.resolve();
    /** @type {() => void} */
    let cleanup = () => {};
    const connected = new Promise((resolve, reject) => {
      const onState = (/** @type {string} */ state) => {
        if (state === 'connected') resolve(undefined);
      };
      const onFailed = (/** @type {Error} */ error) => reject(error);
      this.on('connectionstate', onState);
      this.on('failed', onFailed);
      this.on('closed', onFailed);
      cleanup = () => {
        this.off('connectionstate', onState);
        this.off('failed', onFailed);
        this.off('closed', onFailed);
      };
    });
    const timed = withTimeout(connected, timeoutMs, () => createError(53405, `media did not connect within ${Math.round(timeoutMs / 1000)} s`));
    return /** @type {Promise<void>} */ (timed.finally(cleanup));
  }

  /** @returns {Promise<RTCStatsReport>} */
  getStats() {
    return this.peer ? this.peer.getStats() : Promise.reject(new Error('no peer connection yet'));
  }

  /** Leaves the room (if joined) and releases everything; emits nothing. */
  close() {
    if (this._done) return;
    this._done = true;
    this.signaling.close();
    if (this.peer) this.peer.close();
    // For waitConnected only: a session closed on purpose does not "fail".
    this.emit('closed', this.error || createError(53000, 'the session was closed'));
  }

  /** @param {Error} error */
  _fail(error) {
    if (this._done) return;
    this.error = error;
    // Still tell the server we are gone when the websocket is up (media
    // failed): its 12 s consent timeout would otherwise keep a ghost around.
    this.close();
    this.emit('failed', error);
  }
}
