// The data channels of one peer connection (docs/signaling.md): the ones
// this client opens to publish its data tracks, and the ones the server
// opens towards it, one for each data track it is subscribed to.
//
// - Publishing: an in-band (not `negotiated`) channel labelled with the
//   track's name, with the track's ordered/maxPacketLifeTime/maxRetransmits.
//   The server publishes the track when the channel opens, and unpublishes
//   it when the channel closes. The first channel of a connection needs an
//   `m=application` section, which the Peer's next offer adds.
// - Subscribing: the server's channels arrive as `datachannel` events,
//   labelled with the track's SID. The Room matches them to publications
//   (the channel may come before or after `track_published`); messages that
//   arrive before anyone listens are queued for the RemoteDataTrack.

import { sdkLog } from './logger.js';
import { createError } from './errors.js';
import { deferred } from './util.js';

/** @typedef {import('./datatrack.js').LocalDataTrack} LocalDataTrack */
/** @typedef {import('./datatrack.js').RemoteDataChannel} RemoteDataChannel */
/** @typedef {import('./errors.js').TwilioError} TwilioError */

/** Messages kept for a channel nobody listens to yet (a track whose
 * `track_published` is late, or a subscription the app has not been told of). */
const MAX_QUEUED = 1_000;

/** The server's refusals of a data channel (docs/signaling.md): a bad or
 * duplicate name, or too many data tracks. It closes the channel after. */
export const DATA_CHANNEL_ERRORS = new Set([53301, 53302, 53304, 53203]);

/** A refusal older than this is not taken for the reason a channel closed. */
const REFUSAL_WINDOW_MS = 10_000;

export class DataChannels {
  /**
   * @param {RTCPeerConnection} pc
   * @param {() => void} changed called when the server's channels change
   */
  constructor(pc, changed) {
    this._pc = pc;
    this._changed = changed;
    /** @type {Map<LocalDataTrack, RTCDataChannel>} */
    this.published = new Map();
    /** @type {Map<string, RemoteDataChannel>} the server's channels by label (track SID) */
    this.remote = new Map();
    /** @type {Map<RTCDataChannel, {reject: (error: any) => void}>} published channels not open yet */
    this._opening = new Map();
    /** @type {{error: TwilioError, at: number}|null} the server's last refusal */
    this._refusal = null;
    this._closed = false;
    pc.ondatachannel = (event) => this._onRemote(event.channel);
  }

  /**
   * Opens the channel that publishes `track`.
   * @param {LocalDataTrack} track
   * @returns {Promise<void>} settled when it opens, or closes before
   */
  open(track) {
    const channel = this._pc.createDataChannel(track.name, track._channelInit());
    channel.binaryType = 'arraybuffer';
    this.published.set(track, channel);
    track._channels.add(channel);
    /** @type {ReturnType<typeof deferred<void>>} */
    const opened = deferred();
    this._opening.set(channel, opened);
    channel.addEventListener('open', () => {
      this._opening.delete(channel);
      opened.resolve();
    });
    channel.addEventListener('close', () => {
      track._channels.delete(channel);
      const ours = this.published.get(track) === channel;
      if (ours) this.published.delete(track);
      const opening = this._opening.delete(channel);
      if (this._closed) return;
      if (!ours) {
        // Closed by us (unpublished) before it opened.
        if (opening) opened.reject(createError(53300, `${JSON.stringify(track.name)} was unpublished while publishing`));
        return;
      }
      // Not closed by us: the server refused the track (or the connection
      // is going away).
      const refusal = this._refusal && Date.now() - this._refusal.at < REFUSAL_WINDOW_MS ? this._refusal.error : null;
      this._refusal = null;
      if (opening) opened.reject(refusal || createError(53300, `the server closed the data channel of ${JSON.stringify(track.name)}`));
      else sdkLog.warn(`the server closed the data channel of ${JSON.stringify(track.name)}${refusal ? `: ${refusal.message}` : ''}`);
    });
    return opened.promise;
  }

  /**
   * Unpublishes: the server unpublishes the track when its channel closes.
   * @param {LocalDataTrack} track
   */
  close(track) {
    const channel = this.published.get(track);
    if (!channel) return;
    this.published.delete(track);
    track._channels.delete(channel);
    channel.close();
  }

  /** @param {TwilioError} error a refusal the server sent (DATA_CHANNEL_ERRORS) */
  refused(error) {
    this._refusal = { error, at: Date.now() };
  }

  /** Whether an applied answer set up the SCTP transport: new channels then need no offer. */
  get negotiated() {
    return this._pc.sctp !== null;
  }

  /** The connection is closing: its channels stop, quietly. */
  dispose() {
    this._closed = true;
    const error = createError(53001, 'the connection was closed');
    for (const pending of this._opening.values()) pending.reject(error);
    this._opening.clear();
    for (const [track, channel] of this.published) track._channels.delete(channel);
    this.published.clear();
    for (const entry of this.remote.values()) entry.listener = null;
    this.remote.clear();
  }

  /** @param {RTCDataChannel} channel */
  _onRemote(channel) {
    if (this._closed) return;
    channel.binaryType = 'arraybuffer';
    const label = channel.label;
    /** @type {RemoteDataChannel} */
    const entry = { channel, queue: [], listener: null };
    channel.addEventListener('message', (event) => {
      if (entry.listener) entry.listener(event.data);
      else if (entry.queue.length < MAX_QUEUED) entry.queue.push(event.data);
    });
    channel.addEventListener('close', () => {
      if (this._closed || this.remote.get(label) !== entry) return;
      this.remote.delete(label);
      this._changed();
    });
    const previous = this.remote.get(label);
    this.remote.set(label, entry);
    if (previous) previous.channel.close();
    this._changed();
  }
}
