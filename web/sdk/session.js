// One participant's time on the server: a websocket that joined plus the
// peer connection negotiated over it. It survives interruptions the way
// twilio-video does: when the websocket drops (or stops answering while
// media is interrupted) a new one `resume`s the same participant, keeping
// its SID, tracks and subscriptions; when media is interrupted the peer
// connection restarts ICE. The Room decides how long to let this go on (the
// server's reconnect window) before giving up on it.
//
// A session ends in exactly one of two ways: close() (on purpose, silent)
// or `failed(error)` (the server ended it with a fatal error or no longer
// has the participant, 53204; ICE/DTLS could not be restarted; negotiation
// got stuck).

import { EventEmitter } from './events.js';
import { createError } from './errors.js';
import { SignalingChannel } from './signaling.js';
import { Peer } from './peer.js';
import { sleep, withTimeout } from './util.js';

/** How long a resume attempt may take (its websocket opens in staggered
 * attempts, OPEN_STAGGER_MS apart). */
const RESUME_TIMEOUT_MS = 6_000;
/** A websocket that does not answer a ping in this time, while media is
 * interrupted, counts as dropped. */
const PROBE_TIMEOUT_MS = 2_000;
/** A peer connection `disconnected` this long (with signaling up) gets an
 * ICE restart; another follows every ICE_RETRY_MS while it is not back. */
const ICE_RESTART_AFTER_MS = 2_000;
const ICE_RETRY_MS = 5_000;

/** @typedef {import('./signaling.js').JoinedMessage} JoinedMessage */
/** @typedef {import('./signaling.js').ServerMessage} ServerMessage */
/** @typedef {import('./localtrack.js').LocalTrack} LocalTrack */
/** @typedef {import('./datatrack.js').LocalDataTrack} LocalDataTrack */
/** @typedef {import('./peer.js').CodecPreference} CodecPreference */

/**
 * @typedef {object} SessionOptions
 * @property {string} token
 * @property {string} [roomName]
 * @property {string} [url] the signaling URL; defaults to /rtc on the page's origin
 * @property {CodecPreference[]} [preferredVideoCodecs]
 * @property {CodecPreference[]} [preferredAudioCodecs]
 * @property {import('./e2ee.js').EndToEndEncryption|null} [e2ee] encrypts what the peer connection sends and decrypts what it receives
 */

/**
 * Events: `message(msg)` for room messages (everything negotiation does not
 * consume), `remotetracks(map)`, `connectionstate(state)`, `signaling('up'|'down')`,
 * `resumed(msg)` (the server's current view of the room after a resume),
 * `failed(error)`.
 */
export class Session extends EventEmitter {
  /** @param {SessionOptions} options */
  constructor(options) {
    super();
    this._options = options;
    this.signaling = new SignalingChannel(options.url);
    /** @type {Peer|null} */
    this.peer = null;
    /** A name for this session's peer connection in stats reports. */
    this.peerConnectionId = `PC${Math.random().toString(16).slice(2, 10)}`;
    /** @type {JoinedMessage|null} */
    this.joined = null;
    /** @type {Error|null} why it failed, once it has */
    this.error = null;
    this._done = false;
    /** Whether a websocket is joined (false while resuming). */
    this.signalingUp = false;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this._iceTimer = undefined;
    this._watchSignaling(this.signaling);
  }

  /** @param {SignalingChannel} signaling */
  _watchSignaling(signaling) {
    signaling.on('closed', (/** @type {any} */ error) => {
      if (this._done || signaling !== this.signaling) return;
      // A drop keeps our place on the server: resume. Anything the server
      // decided (a duplicate identity, a removal, a restart) ends this.
      if (error && error.dropped && this.joined) this._resume(error);
      else this._fail(error);
    });
  }

  /**
   * @param {number} timeoutMs
   * @returns {Promise<JoinedMessage>}
   */
  async join(timeoutMs) {
    this.joined = await this.signaling.join(this._options.token, this._options.roomName, timeoutMs);
    this.signalingUp = true;
    return this.joined;
  }

  /**
   * Creates the peer connection, offers with `tracks`, and starts passing
   * held and new messages on.
   * @param {Array<LocalTrack|LocalDataTrack>} tracks
   */
  startMedia(tracks) {
    if (this._done || !this.joined) return;
    const peer = new Peer({
      send: (msg) => this.signaling.send(msg),
      iceServers: this.joined.ice_servers,
      preferredVideoCodecs: this._options.preferredVideoCodecs,
      preferredAudioCodecs: this._options.preferredAudioCodecs,
      e2ee: this._options.e2ee,
    });
    this.peer = peer;
    peer.on('connectionstate', (/** @type {RTCPeerConnectionState} */ state) => {
      if (this._done) return;
      this.emit('connectionstate', state);
      this._watchMedia(state);
    });
    peer.on('remotetracks', (/** @type {Map<string, any>} */ map) => {
      if (!this._done) this.emit('remotetracks', map);
    });
    peer.on('failed', (/** @type {Error} */ error) => this._fail(error));
    peer.start(tracks).catch(() => {}); // failures surface as `failed` or in waitConnected
    this._handleMessages(this.signaling);
  }

  /** @param {SignalingChannel} signaling */
  _handleMessages(signaling) {
    signaling.setHandler((msg) => {
      if (this._done || signaling !== this.signaling || !this.peer) return;
      if (!this.peer.handle(msg)) this.emit('message', msg);
    });
  }

  /**
   * Media interrupted: once it has been `disconnected` for a moment (or at
   * once when `failed`), check that the websocket still answers (a dead one
   * is replaced by a resume, which restarts ICE) and restart ICE; again
   * every ICE_RETRY_MS until media is back.
   * @param {RTCPeerConnectionState} state
   */
  _watchMedia(state) {
    clearTimeout(this._iceTimer);
    if (state !== 'disconnected' && state !== 'failed') return;
    const retry = async () => {
      if (this._done || !this.peer || this.peer.pc.connectionState === 'connected') return;
      if (this.signalingUp && (await this.signaling.probe(PROBE_TIMEOUT_MS)) && !this._done) {
        this.peer.restartIce();
      }
      // When the probe failed, the resume restarts ICE.
      this._iceTimer = setTimeout(retry, ICE_RETRY_MS);
    };
    this._iceTimer = setTimeout(retry, state === 'failed' ? 0 : ICE_RESTART_AFTER_MS);
  }

  /**
   * The websocket dropped: new ones resume the participant until one does,
   * the server says it has gone (53204: the Room joins anew), or the Room
   * gives up (close()).
   * @param {Error} error why the last one dropped
   */
  async _resume(error) {
    this.signalingUp = false;
    this.emit('signaling', 'down', error);
    const joined = /** @type {JoinedMessage} */ (this.joined);
    for (let attempt = 0; !this._done; attempt++) {
      const signaling = new SignalingChannel(this._options.url);
      this.signaling = signaling;
      try {
        const resumed = await signaling.resume(joined.participant.sid, joined.resume_token || '', RESUME_TIMEOUT_MS);
        if (this._done || signaling !== this.signaling) return;
        this.joined = { ...resumed, type: 'joined' };
        this._watchSignaling(signaling);
        this.signalingUp = true;
        this.emit('resumed', resumed);
        if (this.peer) {
          this._handleMessages(signaling);
          // Whatever was in flight on the old connection is lost: start
          // negotiation over, with an ICE restart unless media survived.
          this.peer.resumeNegotiation(this.peer.pc.connectionState !== 'connected');
        }
        this.emit('signaling', 'up');
        return;
      } catch (err) {
        if (this._done) return;
        const code = err && /** @type {any} */ (err).code;
        if (code === 53204 || (code !== 53000 && code !== 53001 && code !== 53002)) {
          this._fail(/** @type {Error} */ (err));
          return;
        }
        // Unreachable: try again shortly (each attempt waits for its own
        // websocket, so this only paces refusals).
        await sleep(Math.min(250 * 2 ** attempt, 1_000));
      }
    }
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
    clearTimeout(this._iceTimer);
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
    // failed): its reconnect window would otherwise keep a ghost around.
    this.close();
    this.emit('failed', error);
  }
}
