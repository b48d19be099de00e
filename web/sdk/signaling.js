// The websocket to the server's /rtc endpoint (docs/signaling.md): opening
// it, the `join` handshake, keepalive, and turning every way it can end into
// either a TwilioError or silence (when this client closed it on purpose).
// Negotiation and room state live elsewhere; this file only moves messages.
//
// Messages that arrive after `joined` are held until someone calls
// setHandler(): the room must apply `joined` (and create its peer
// connection) before an `offer` or `participant_connected` can make sense.

import { EventEmitter } from './events.js';
import { createError, errorFromServer } from './errors.js';

export const PROTOCOL_VERSION = 1;

/** Application-level pings: browsers answer the server's websocket pings by
 * themselves, but JavaScript cannot see those, so this is how the client
 * notices a connection that died without a close (sleeping laptop, NAT). */
const PING_EVERY_MS = 10_000;
const SILENCE_LIMIT_MS = 30_000;

/**
 * @typedef {object} TrackInfo
 * @property {string} sid
 * @property {string} name
 * @property {'audio'|'video'} kind
 * @property {boolean} enabled
 * @property {'low'|'standard'|'high'} [priority] the publisher's (absent: standard)
 */
/**
 * @typedef {object} ParticipantInfo
 * @property {string} sid
 * @property {string} identity
 * @property {TrackInfo[]} tracks
 * @property {boolean} [reconnecting] interrupted, within its reconnect window
 * @property {string} [e2ee_key] its public key for end-to-end encryption (docs/signaling.md 4.11)
 */
/**
 * @typedef {object} SubscribedTrack one server m-line and the remote track it carries
 * @property {string} mid
 * @property {string} participant_sid
 * @property {string} track_sid
 * @property {'audio'|'video'} kind
 */
/**
 * @typedef {object} JoinedMessage
 * @property {'joined'} type
 * @property {number} version
 * @property {{sid: string, name: string}} room
 * @property {ParticipantInfo} participant
 * @property {ParticipantInfo[]} participants
 * @property {RTCIceServer[]} ice_servers
 * @property {string} [resume_token] what a `resume` presents
 * @property {number} [reconnect_window_secs] how long the server keeps our place after a drop
 */
/** @typedef {{type: string, [field: string]: any}} ServerMessage */

/** ws:/wss: to /rtc on the page's own origin. */
export function signalingUrl() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  return `${scheme}://${location.host}/rtc`;
}

/** A websocket that has not opened in this time gets a sibling: a SYN lost
 * on a flaky network (or just after an outage) costs seconds of TCP
 * back-off, while a new attempt goes out at once. The earlier attempts stay
 * open in case they were only slow; the first to open wins. */
const OPEN_STAGGER_MS = 1_500;
const MAX_OPEN_ATTEMPTS = 3;

/**
 * Events: `closed(error)` once, when the connection ends without close()
 * having been called: a fatal server error (its code), or a drop (53001,
 * with `error.dropped` set: the participant still has its place on the
 * server, and a `resume` on a new connection can take it back), or the
 * clinic removing the participant (`error.removed` set: twilio-video then
 * disconnects with no error).
 */
export class SignalingChannel extends EventEmitter {
  /** @param {string} [url] */
  constructor(url) {
    super();
    this.url = url || signalingUrl();
    /** @type {WebSocket|null} */
    this.ws = null;
    this._joined = false;
    this._done = false;
    /** @type {((msg: ServerMessage) => void)|null} */
    this._handler = null;
    /** @type {ServerMessage[]} */
    this._held = [];
    /** @type {ReturnType<typeof setInterval>|undefined} */
    this._pingTimer = undefined;
    this._pingId = 0;
    this._lastHeard = Date.now();
    /** @type {() => void} */
    this._abortJoin = () => {};
  }

  /**
   * Opens the websocket and joins. Rejects with the server's error (20101,
   * 53105, …), or 53000 when the server cannot be reached or does not reply
   * in time.
   * @param {string} token
   * @param {string|undefined} room
   * @param {number} timeoutMs
   * @returns {Promise<JoinedMessage>}
   */
  join(token, room, timeoutMs) {
    return this._handshake({ type: 'join', version: PROTOCOL_VERSION, token, ...(room ? { room } : {}) }, 'joined', timeoutMs);
  }

  /**
   * Opens the websocket and starts a connectivity test: the server checks
   * the token as for a join and puts this session alone in a room of its
   * own, where it receives its own tracks back (docs/signaling.md 4.8a).
   * @param {string} token
   * @param {number} timeoutMs
   * @returns {Promise<any>} the `joined` message
   */
  preflight(token, timeoutMs) {
    return this._handshake({ type: 'preflight', version: PROTOCOL_VERSION, token }, 'joined', timeoutMs);
  }

  /**
   * Opens the websocket and resumes participant `participantSid` (its
   * earlier connection dropped). Rejects with 53204 when the server no
   * longer has it (join anew), or as join() does.
   * @param {string} participantSid
   * @param {string} resumeToken
   * @param {number} timeoutMs
   * @returns {Promise<JoinedMessage>} the `resumed` message (shaped as `joined`)
   */
  resume(participantSid, resumeToken, timeoutMs) {
    return this._handshake({ type: 'resume', version: PROTOCOL_VERSION, participant_sid: participantSid, resume_token: resumeToken }, 'resumed', timeoutMs);
  }

  /**
   * @param {{type: string, [field: string]: any}} first the first message
   * @param {string} welcome the reply that means success
   * @param {number} timeoutMs
   * @returns {Promise<JoinedMessage>}
   */
  _handshake(first, welcome, timeoutMs) {
    return new Promise((resolve, reject) => {
      /** @type {WebSocket[]} attempts not yet open */
      const attempts = [];
      let opened = false;
      // close() during the handshake must not leave the caller waiting.
      this._abortJoin = () => fail(createError(53000, 'closed before joining'));
      /** @type {Error|null} */
      let serverError = null;
      let lastCloseCode = 0;
      const closeAttempts = () => {
        clearInterval(stagger);
        for (const ws of attempts.splice(0)) if (ws !== this.ws) ws.close();
      };
      const fail = (/** @type {Error} */ error) => {
        clearTimeout(timer);
        closeAttempts();
        this._stop(false);
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(createError(53000, opened ? `no reply to ${first.type} within ${timeoutMs / 1000} s` : `could not connect within ${timeoutMs / 1000} s`));
      }, timeoutMs);

      const attempt = () => {
        if (opened || this._done) return;
        if (attempts.length >= MAX_OPEN_ATTEMPTS) attempts.shift()?.close();
        let ws;
        try {
          ws = new WebSocket(this.url);
        } catch (err) {
          fail(createError(53000, `cannot open ${this.url}: ${err && err.message}`));
          return;
        }
        attempts.push(ws);
        ws.onopen = () => {
          if (opened) {
            ws.close();
            return;
          }
          opened = true;
          this.ws = ws;
          closeAttempts();
          this._lastHeard = Date.now();
          this.send(first);
        };
        ws.onmessage = (event) => {
          if (ws !== this.ws) return;
          this._lastHeard = Date.now();
          const msg = parse(event.data);
          if (!msg || this._done) return;
          if (!this._joined) {
            if (msg.type === welcome) {
              this._joined = true;
              clearTimeout(timer);
              this._startKeepalive();
              resolve(/** @type {JoinedMessage} */ (msg));
            } else if (msg.type === 'error') {
              serverError = errorFromServer(msg);
              if (msg.fatal !== false) fail(serverError);
            }
            return;
          }
          if (msg.type === 'error' && msg.fatal) {
            this._lose(errorFromServer(msg));
            return;
          }
          if (msg.type === 'disconnected') {
            const removed = /** @type {any} */ (createError(53000, `removed from the room (${msg.reason})`));
            removed.removed = true;
            this._lose(removed);
            return;
          }
          if (this._handler) this._handler(msg);
          else this._held.push(msg);
        };
        ws.onclose = (event) => {
          if (this._done) return;
          if (ws !== this.ws) {
            // An attempt that never opened: the others (or the next) go on,
            // unless every one failed at once (nothing listens there).
            lastCloseCode = event.code;
            const i = attempts.indexOf(ws);
            if (i >= 0) attempts.splice(i, 1);
            if (!opened && !attempts.length) fail(createError(53000, `cannot connect to ${this.url} (code ${lastCloseCode})`));
            return;
          }
          if (!this._joined) {
            fail(serverError || createError(53000, `the server closed the connection (code ${event.code})`));
            return;
          }
          this._lose(dropped(createError(53001, `the connection closed (code ${event.code}${event.reason ? `, ${event.reason}` : ''})`)));
        };
      };
      const stagger = setInterval(attempt, OPEN_STAGGER_MS);
      attempt();
    });
  }

  /** @param {(msg: ServerMessage) => void} handler receives every message after `joined`, held ones first */
  setHandler(handler) {
    this._handler = handler;
    const held = this._held;
    this._held = [];
    for (const msg of held) {
      if (this._done) return;
      handler(msg);
    }
  }

  /**
   * @param {object} msg
   * @returns {boolean} whether it was sent
   */
  send(msg) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this._done) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  /**
   * Checks that the server still hears us: a websocket on a network that
   * went away stays "open" until TCP gives up, minutes later. Resolves
   * whether anything came back within `timeoutMs`; when nothing did, the
   * connection counts as dropped (`closed` is emitted).
   * @param {number} timeoutMs
   * @returns {Promise<boolean>}
   */
  probe(timeoutMs) {
    if (this._done || !this._joined) return Promise.resolve(false);
    const since = Date.now();
    this.send({ type: 'ping', id: ++this._pingId });
    return new Promise((resolve) => {
      const check = setInterval(() => {
        if (this._done) {
          clearInterval(check);
          resolve(false);
        } else if (this._lastHeard >= since) {
          clearInterval(check);
          resolve(true);
        } else if (Date.now() - since > timeoutMs) {
          clearInterval(check);
          this._lose(dropped(createError(53001, `no reply from the server within ${timeoutMs / 1000} s`)));
          resolve(false);
        }
      }, 100);
    });
  }

  /** Ends the connection on purpose, announcing the departure with `leave`; emits nothing. */
  close() {
    const abort = this._joined ? null : this._abortJoin;
    this._stop(true);
    if (abort) abort();
  }

  /**
   * Lets the connection go without `leave` (a resume on another one takes
   * over, or it is already dead); emits nothing.
   */
  abandon() {
    const abort = this._joined ? null : this._abortJoin;
    this._stop(false);
    if (abort) abort();
  }

  /** @param {boolean} leave */
  _stop(leave) {
    if (this._done) return;
    if (leave && this._joined) this.send({ type: 'leave' });
    this._done = true;
    clearInterval(this._pingTimer);
    this._held = [];
    const ws = this.ws;
    if (ws && ws.readyState <= WebSocket.OPEN) ws.close();
  }

  /** @param {Error} error */
  _lose(error) {
    if (this._done) return;
    this._stop(false);
    this.emit('closed', error);
  }

  _startKeepalive() {
    this._pingTimer = setInterval(() => {
      if (Date.now() - this._lastHeard > SILENCE_LIMIT_MS) {
        this._lose(dropped(createError(53001, `no word from the server for ${SILENCE_LIMIT_MS / 1000} s`)));
        return;
      }
      this.send({ type: 'ping', id: ++this._pingId });
    }, PING_EVERY_MS);
  }
}

/**
 * Marks a connection error as a drop (not the server's decision).
 * @param {import('./errors.js').TwilioError} error
 */
function dropped(error) {
  /** @type {any} */ (error).dropped = true;
  return error;
}

/**
 * @param {any} data
 * @returns {ServerMessage|null}
 */
function parse(data) {
  if (typeof data !== 'string') return null; // the server never sends binary frames
  try {
    const msg = JSON.parse(data);
    return msg && typeof msg === 'object' && typeof msg.type === 'string' ? msg : null;
  } catch {
    return null;
  }
}
