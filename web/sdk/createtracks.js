// createLocalTracks / createLocalAudioTrack / createLocalVideoTrack, with
// twilio-video's option shapes: `true`, `false`, or an object of
// constraints plus a `name`. Asking for audio and video together makes a
// single getUserMedia call, so the user sees one permission prompt.

import { getUserMedia, splitOptions } from './media.js';
import { LocalAudioTrack, LocalVideoTrack } from './localtrack.js';

/** @typedef {import('./media.js').TrackOptions} TrackOptions */

/**
 * @typedef {object} CreateLocalTracksOptions
 * @property {boolean|TrackOptions} [audio] default true
 * @property {boolean|TrackOptions} [video] default true
 */

/**
 * @param {CreateLocalTracksOptions} [options]
 * @returns {Promise<Array<LocalAudioTrack|LocalVideoTrack>>}
 */
export async function createLocalTracks(options = {}) {
  const audioOpt = options.audio === undefined ? true : options.audio;
  const videoOpt = options.video === undefined ? true : options.video;
  if (!audioOpt && !videoOpt) return [];
  const audio = splitOptions(audioOpt);
  const video = splitOptions(videoOpt);
  /** @type {MediaStreamConstraints} */
  const constraints = {};
  if (audioOpt) constraints.audio = Object.keys(audio.constraints).length ? audio.constraints : true;
  if (videoOpt) constraints.video = Object.keys(video.constraints).length ? video.constraints : true;
  const stream = await getUserMedia(constraints);
  /** @type {Array<LocalAudioTrack|LocalVideoTrack>} */
  const tracks = [];
  for (const t of stream.getAudioTracks()) tracks.push(new LocalAudioTrack(t, { name: audio.name, constraints: audio.constraints }));
  for (const t of stream.getVideoTracks()) tracks.push(new LocalVideoTrack(t, { name: video.name, constraints: video.constraints }));
  return tracks;
}

/**
 * @param {TrackOptions} [options]
 * @returns {Promise<LocalAudioTrack>}
 */
export async function createLocalAudioTrack(options = {}) {
  const tracks = await createLocalTracks({ audio: options, video: false });
  return /** @type {LocalAudioTrack} */ (tracks[0]);
}

/**
 * @param {TrackOptions} [options]
 * @returns {Promise<LocalVideoTrack>}
 */
export async function createLocalVideoTrack(options = {}) {
  const tracks = await createLocalTracks({ audio: false, video: options });
  return /** @type {LocalVideoTrack} */ (tracks[0]);
}
