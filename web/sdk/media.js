// Camera and microphone access. twilio-video's track options mix the
// browser's MediaTrackConstraints (deviceId, width, facingMode, …) with its
// own keys (name, logLevel, workarounds); getUserMedia must only see the
// former, so they are separated here. Failures keep the browser's own
// DOMException (NotAllowedError, NotFoundError, …), as twilio-video does:
// applications already show messages based on those names.

/** twilio-video option keys that are not media constraints. */
const SDK_KEYS = new Set(['name', 'logLevel', 'noiseCancellationOptions']);

/**
 * @typedef {MediaTrackConstraints & {name?: string, [key: string]: any}} TrackOptions
 */

/**
 * @param {TrackOptions|boolean|undefined} options
 * @returns {{name: string|undefined, constraints: MediaTrackConstraints}}
 */
export function splitOptions(options) {
  if (!options || typeof options !== 'object') return { name: undefined, constraints: {} };
  /** @type {Record<string, any>} */
  const constraints = {};
  for (const [key, value] of Object.entries(options)) {
    if (!SDK_KEYS.has(key) && !key.startsWith('workaround')) constraints[key] = value;
  }
  return { name: typeof options.name === 'string' ? options.name : undefined, constraints };
}

/**
 * @param {MediaStreamConstraints} constraints
 * @returns {Promise<MediaStream>}
 */
export function getUserMedia(constraints) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return Promise.reject(new DOMException('getUserMedia is not available (a secure context is required)', 'NotSupportedError'));
  }
  return navigator.mediaDevices.getUserMedia(constraints);
}
