// connect(): twilio-video's entry point. It decides which local tracks to
// send (the app's, or new ones from the camera and microphone), joins, and
// hands back a Room only once media is connected — so a refused token, a
// full room, an unreachable server and blocked UDP all surface here, as a
// rejected promise with the matching Twilio code, within JOIN_TIMEOUT_MS.
// As in twilio-video, the promise can be cancelled (`cancel()`): it then
// rejects with Error('Canceled') and whatever was started is undone.

import { createError, TwilioError, UNSUPPORTED } from './errors.js';
import { EndToEndEncryption } from './e2ee.js';
import { LocalTrack, wrapMediaStreamTrack } from './localtrack.js';
import { LocalDataTrack } from './datatrack.js';
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
 * @property {Array<LocalAudioTrack|LocalVideoTrack|LocalDataTrack|MediaStreamTrack>} [tracks] what to publish
 * @property {CodecPreference[]|'auto'} [preferredVideoCodecs] e.g. ['VP8'] or [{codec: 'H264'}]; 'auto' is VP8 simulcast with layers the server turns on and off (twilio-video's adaptive simulcast)
 * @property {CodecPreference[]} [preferredAudioCodecs]
 * @property {boolean|import('./networkquality.js').NetworkQualityConfiguration} [networkQuality] levels 0–5 on participants (off by default, as in twilio-video)
 * @property {{video?: {clientTrackSwitchOffControl?: 'auto'|'manual', contentPreferencesMode?: 'auto'|'manual', [setting: string]: unknown}}} [bandwidthProfile] read: who switches remote video off, who says its render size (twilio-video's defaults with a profile: 'auto' for both)
 * @property {number} [timeout] ms to wait for the room (default 20000); not a twilio-video option
 * @property {string} [signalingUrl] defaults to ws(s)://<page host>/rtc; not a twilio-video option
 * @property {boolean} [e2ee] end-to-end encrypt media for a two-person room (e2ee.js; `room.e2ee` has the safety code); not a twilio-video option
 */

/** @typedef {Promise<Room> & {cancel(): CancelableRoomPromise}} CancelableRoomPromise */

/**
 * @param {string} token a Twilio-format access token
 * @param {ConnectOptions} [options]
 * @returns {CancelableRoomPromise} twilio-video's CancelablePromise: a promise with cancel()
 */
export function connect(token, options = {}) {
  let canceled = false;
  let settled = false;
  /** @type {Room|null} */
  let started = null;
  /** @type {(reason: Error) => void} */
  let rejectCanceled = () => {};
  const promise = /** @type {CancelableRoomPromise} */ (new Promise((resolve, reject) => {
    rejectCanceled = reject;
    const steps = {
      isCanceled: () => canceled,
      /** @param {Room} room */
      started: (room) => {
        started = room;
      },
    };
    connectRoom(token, options, steps).then((room) => {
      settled = true;
      resolve(room);
    }, (err) => {
      settled = true;
      reject(err);
    });
  }));
  promise.cancel = () => {
    if (!settled && !canceled) {
      canceled = true;
      // The room stops its session and, if connect made them, the tracks.
      if (started) /** @type {Room} */ (started).disconnect();
      rejectCanceled(new Error('Canceled'));
    }
    return promise;
  };
  return promise;
}

/**
 * @param {string} token
 * @param {ConnectOptions} options
 * @param {{isCanceled: () => boolean, started: (room: Room) => void}} steps
 * @returns {Promise<Room>}
 */
async function connectRoom(token, options, steps) {
  if (typeof token !== 'string' || !token) throw createError(20101, 'no token given');
  /** @type {Array<LocalAudioTrack|LocalVideoTrack|LocalDataTrack>} */
  let tracks;
  let created = false;
  if (options.tracks) {
    tracks = options.tracks.map((t) => (t instanceof LocalTrack || t instanceof LocalDataTrack ? /** @type {LocalAudioTrack|LocalVideoTrack|LocalDataTrack} */ (t) : wrapMediaStreamTrack(t)));
  } else {
    tracks = await createLocalTracks({
      audio: options.audio === undefined ? true : options.audio,
      video: options.video === undefined ? true : options.video,
    });
    created = true;
    if (steps.isCanceled()) {
      for (const track of tracks) if (track.kind !== 'data') track.stop();
      throw new Error('Canceled');
    }
  }
  if (options.e2ee && !EndToEndEncryption.isSupported()) {
    if (created) for (const track of tracks) if (track instanceof LocalTrack) track.stop();
    throw new TwilioError(UNSUPPORTED, 'End-to-end encryption is not supported by this browser (it needs RTCRtpScriptTransform)');
  }
  const room = new Room({
    token,
    e2ee: !!options.e2ee,
    name: options.name,
    tracks,
    stopTracksOnDisconnect: created,
    preferredVideoCodecs: options.e2ee ? encryptedVideoCodecs(options.preferredVideoCodecs) : videoCodecPreferences(options.preferredVideoCodecs),
    preferredAudioCodecs: codecPreferences('preferredAudioCodecs', options.preferredAudioCodecs),
    signalingUrl: options.signalingUrl,
    networkQuality: networkQualityConfiguration(options.networkQuality),
    ...videoBandwidthProfile(options.bandwidthProfile),
  });
  steps.started(room);
  await room._connect(options.timeout || JOIN_TIMEOUT_MS);
  return room;
}

/**
 * twilio-video's 'auto' asks for VP8 simulcast whose layers the server
 * turns on and off as subscribers need them: what Confide does for
 * `{codec: 'VP8', simulcast: true}` (publish_layers, docs/signaling.md).
 * @param {CodecPreference[]|'auto'|undefined} preferences
 * @returns {CodecPreference[]|undefined}
 */
function videoCodecPreferences(preferences) {
  if (preferences === 'auto') return [{ codec: 'VP8', simulcast: true }];
  return codecPreferences('preferredVideoCodecs', preferences);
}

/**
 * End-to-end encrypted video is VP8 (e2ee-worker.js leaves VP8's header in
 * the clear for the receiving depacketizer): VP8 first, simulcast if asked.
 * @param {CodecPreference[]|'auto'|undefined} preferences
 * @returns {CodecPreference[]}
 */
function encryptedVideoCodecs(preferences) {
  const chosen = videoCodecPreferences(preferences) || [];
  const first = chosen[0];
  if (first !== undefined && String(typeof first === 'string' ? first : first.codec).toLowerCase() !== 'vp8') {
    throw new RangeError('end-to-end encryption (e2ee) sends VP8 video: put VP8 first in preferredVideoCodecs');
  }
  return chosen.length ? chosen : ['VP8'];
}

/**
 * @param {string} option
 * @param {unknown} preferences
 * @returns {CodecPreference[]|undefined}
 */
function codecPreferences(option, preferences) {
  if (preferences === undefined) return undefined;
  const valid = Array.isArray(preferences)
    && preferences.every((p) => typeof p === 'string' || (p && typeof p === 'object' && typeof p.codec === 'string'));
  // twilio-video throws a TypeError for an option of the wrong type, too.
  if (!valid) throw new TypeError(`${option} must be an array of codec names or {codec} objects${option === 'preferredVideoCodecs' ? ", or 'auto'" : ''}`);
  return /** @type {CodecPreference[]} */ (preferences);
}

/**
 * twilio-video: with a video bandwidth profile, remote video is switched
 * off and sized from what the page shows ('auto') unless the app says
 * 'manual'; without one, nothing is switched off.
 * @param {ConnectOptions['bandwidthProfile']} profile
 * @returns {{switchOffControl: import('./remotetrack.js').SwitchOffControl, contentPreferencesMode: import('./remotetrack.js').ContentPreferencesMode}}
 */
function videoBandwidthProfile(profile) {
  const video = profile && profile.video;
  if (!video) return { switchOffControl: 'disabled', contentPreferencesMode: 'disabled' };
  const control = video.clientTrackSwitchOffControl ?? 'auto';
  const content = video.contentPreferencesMode ?? 'auto';
  if (!['auto', 'manual'].includes(control)) throw new RangeError("bandwidthProfile.video.clientTrackSwitchOffControl must be 'auto' or 'manual'");
  if (!['auto', 'manual'].includes(content)) throw new RangeError("bandwidthProfile.video.contentPreferencesMode must be 'auto' or 'manual'");
  return { switchOffControl: control, contentPreferencesMode: content };
}
