// connect(): twilio-video's entry point. It decides which local tracks to
// send (the app's, or new ones from the camera and microphone), joins, and
// hands back a Room only once media is connected — so a refused token, a
// full room, an unreachable server and blocked UDP all surface here, as a
// rejected promise with the matching Twilio code, within JOIN_TIMEOUT_MS.

import { createError } from './errors.js';
import { LocalTrack, wrapMediaStreamTrack } from './localtrack.js';
import { createLocalTracks } from './createtracks.js';
import { Room, JOIN_TIMEOUT_MS } from './room.js';
import { networkQualityConfiguration } from './networkquality.js';

/** @typedef {import('./localtrack.js').LocalAudioTrack} LocalAudioTrack */
/** @typedef {import('./localtrack.js').LocalVideoTrack} LocalVideoTrack */
/** @typedef {import('./media.js').TrackOptions} TrackOptions */
/** @typedef {import('./peer.js').CodecPreference} CodecPreference */

/**
 * @typedef {object} ConnectOptions
 * @property {string} [name] the room name; required when the token grants any room
 * @property {boolean|TrackOptions} [audio] ignored when `tracks` is given; default true
 * @property {boolean|TrackOptions} [video] ignored when `tracks` is given; default true
 * @property {Array<LocalAudioTrack|LocalVideoTrack|MediaStreamTrack>} [tracks] what to publish
 * @property {CodecPreference[]} [preferredVideoCodecs] e.g. ['VP8'] or [{codec: 'H264'}]
 * @property {CodecPreference[]} [preferredAudioCodecs]
 * @property {boolean|import('./networkquality.js').NetworkQualityConfiguration} [networkQuality] levels 0–5 on participants (off by default, as in twilio-video)
 * @property {number} [timeout] ms to wait for the room (default 20000); not a twilio-video option
 * @property {string} [signalingUrl] defaults to ws(s)://<page host>/rtc; not a twilio-video option
 */

/**
 * @param {string} token a Twilio-format access token
 * @param {ConnectOptions} [options]
 * @returns {Promise<Room>}
 */
export async function connect(token, options = {}) {
  if (typeof token !== 'string' || !token) throw createError(20101, 'no token given');
  /** @type {Array<LocalAudioTrack|LocalVideoTrack>} */
  let tracks;
  let created = false;
  if (options.tracks) {
    tracks = options.tracks.map((t) => (t instanceof LocalTrack ? /** @type {LocalAudioTrack|LocalVideoTrack} */ (t) : wrapMediaStreamTrack(t)));
  } else {
    tracks = await createLocalTracks({
      audio: options.audio === undefined ? true : options.audio,
      video: options.video === undefined ? true : options.video,
    });
    created = true;
  }
  const room = new Room({
    token,
    name: options.name,
    tracks,
    stopTracksOnDisconnect: created,
    preferredVideoCodecs: options.preferredVideoCodecs,
    preferredAudioCodecs: options.preferredAudioCodecs,
    signalingUrl: options.signalingUrl,
    networkQuality: networkQualityConfiguration(options.networkQuality),
  });
  await room._connect(options.timeout || JOIN_TIMEOUT_MS);
  return room;
}
