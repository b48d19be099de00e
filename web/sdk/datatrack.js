// Data tracks, as twilio-video has them: a LocalDataTrack is what the app
// sends with send(); a RemoteDataTrack emits `message` for what another
// participant sent. On the wire each is an RTCDataChannel on the session's
// one peer connection (docs/signaling.md): the publisher opens one labelled
// with the track's name, the server opens one towards each subscriber
// labelled with the track's SID and forwards the publisher's messages on it.
// The channels themselves are kept by datachannels.js; these classes only
// know the ones they send on or receive from.
//
// A LocalDataTrack, like a camera track, outlives rooms and may be
// published in several at once: send() goes out on every open channel it
// has, and does nothing while it has none.

import { EventEmitter } from './events.js';
import { sdkLog } from './logger.js';
import { checkPriority } from './remotetrack.js';

/** @typedef {import('./remotetrack.js').Priority} Priority */
/** @typedef {string|Blob|ArrayBuffer|ArrayBufferView} DataMessage */

/**
 * @typedef {object} LocalDataTrackOptions twilio-video's
 * @property {string} [name] the name others see; defaults to the track's id
 * @property {number|null} [maxPacketLifeTime] ms a message may be retransmitted for (null: no limit)
 * @property {number|null} [maxRetransmits] times a message may be retransmitted (null: no limit)
 * @property {boolean} [ordered] whether messages arrive in the order sent (default true)
 * @property {unknown} [logLevel] deprecated in twilio-video; ignored
 */

/**
 * @typedef {object} RemoteDataChannel a data channel the server opened towards this client
 * @property {RTCDataChannel} channel labelled with the track's SID
 * @property {Array<string|ArrayBuffer>} queue messages that arrived before anyone listened
 * @property {((data: string|ArrayBuffer) => void)|null} listener
 */

/** A v4 UUID, as twilio-video's track ids are. */
function uuid() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * @param {unknown} value
 * @param {string} option
 * @returns {number|null}
 */
function limit(value, option) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new TypeError(`${option} must be an integer from 0 to 65535, or null`);
  }
  return value;
}

export class LocalDataTrack extends EventEmitter {
  /** @param {LocalDataTrackOptions} [options] */
  constructor(options = {}) {
    super();
    const maxPacketLifeTime = limit(options.maxPacketLifeTime, 'maxPacketLifeTime');
    const maxRetransmits = limit(options.maxRetransmits, 'maxRetransmits');
    // RTCPeerConnection.createDataChannel's own refusal, which twilio-video
    // would pass on when publishing: here it comes at once.
    if (maxPacketLifeTime !== null && maxRetransmits !== null) {
      throw new TypeError('maxPacketLifeTime and maxRetransmits cannot both be set');
    }
    /** @type {string} */
    this.id = uuid();
    /** @type {'data'} */
    this.kind = 'data';
    /** @type {string} */
    this.name = options.name ? String(options.name) : this.id;
    /** @type {number|null} */
    this.maxPacketLifeTime = maxPacketLifeTime;
    /** @type {number|null} */
    this.maxRetransmits = maxRetransmits;
    /** @type {boolean} */
    this.ordered = typeof options.ordered === 'boolean' ? options.ordered : true;
    /** @type {boolean} every message arrives (no lifetime or retransmit limit) */
    this.reliable = maxPacketLifeTime === null && maxRetransmits === null;
    /** @type {Set<RTCDataChannel>} the channels it is published on, in every room */
    this._channels = new Set();
    /** @type {Priority} its publication's */
    this._priority = 'standard';
  }

  /**
   * Sends `data` to every participant subscribed to the track, in every
   * room it is published in; nothing happens while it is published nowhere.
   * Messages over 64 KiB are dropped by the server.
   * @param {DataMessage} data
   */
  send(data) {
    for (const channel of this._channels) {
      if (channel.readyState !== 'open') continue;
      try {
        channel.send(/** @type {any} */ (data));
      } catch (err) {
        sdkLog.warn(`data track ${JSON.stringify(this.name)}: cannot send:`, err);
      }
    }
  }

  /** The init for the channel that publishes it. @returns {RTCDataChannelInit} */
  _channelInit() {
    /** @type {RTCDataChannelInit} */
    const init = { ordered: this.ordered };
    if (this.maxPacketLifeTime !== null) init.maxPacketLifeTime = this.maxPacketLifeTime;
    if (this.maxRetransmits !== null) init.maxRetransmits = this.maxRetransmits;
    return init;
  }

  toString() {
    return `[LocalDataTrack ${this.name}]`;
  }
}

export class RemoteDataTrack extends EventEmitter {
  /**
   * @param {RemoteDataChannel} source the server's channel for this track
   * @param {{sid: string, name: string}} info
   */
  constructor(source, info) {
    super();
    const channel = source.channel;
    /** @type {'data'} */
    this.kind = 'data';
    /** @type {string} */
    this.name = info.name;
    /** @type {string} */
    this.sid = info.sid;
    /** @type {boolean} data tracks cannot be muted */
    this.isEnabled = true;
    /** @type {boolean} the server never switches data tracks off */
    this.isSwitchedOff = false;
    /** @type {Priority|null} this subscriber's priority; null: the publisher's */
    this.priority = null;
    /** @type {boolean} */
    this.ordered = channel.ordered;
    /** @type {number|null} */
    this.maxPacketLifeTime = channel.maxPacketLifeTime ?? null;
    /** @type {number|null} */
    this.maxRetransmits = channel.maxRetransmits ?? null;
    /** @type {boolean} */
    this.reliable = this.maxPacketLifeTime === null && this.maxRetransmits === null;
    this._source = source;
    this._subscribed = true;
  }

  /** @returns {boolean} twilio-video's deprecated: whether this client still receives it */
  get isSubscribed() {
    return this._subscribed;
  }

  /**
   * Kept and reported, as twilio-video does; the server forwards data
   * messages whatever the priority.
   * @param {Priority|null} priority
   * @returns {this}
   */
  setPriority(priority) {
    this.priority = checkPriority(priority, true);
    return this;
  }

  /** Starts emitting `message`: first what arrived before, then as it comes. */
  _start() {
    const source = this._source;
    if (!this._subscribed || source.listener) return;
    source.listener = (data) => this.emit('message', data, this);
    const queued = source.queue.splice(0);
    for (const data of queued) this.emit('message', data, this);
  }

  /** @returns {boolean} data tracks are never switched off */
  _setSwitchedOff() {
    return false;
  }

  /** Data tracks have no mute state: publications pass theirs on anyway. */
  _setEnabled() {}

  /** @returns {boolean} no preferences worth sending to a new session */
  get _hasPreferences() {
    return false;
  }

  /** Unsubscribed: no more messages. */
  _dispose() {
    this._subscribed = false;
    if (this._source.listener) this._source.listener = null;
  }

  toString() {
    return `[RemoteDataTrack ${this.sid} ${this.name}]`;
  }
}
