// What twilio-video has and this SDK does not, yet: each throws a
// TwilioError naming it (never a TypeError), and scripts/sdk-compat.mjs
// lists it as unsupported in README.md. Events that Confide never emits are
// listed with the reason, for the same table.

import { unsupported } from './errors.js';

/**
 * twilio-video's data track; Confide's server does not carry data channels
 * yet, so none can be created (and no RemoteDataTrack ever arrives).
 */
export class LocalDataTrack {
  /** @param {object} [_options] */
  constructor(_options) {
    throw unsupported('LocalDataTrack.constructor');
  }
}

/**
 * twilio-video's preflight test (a trial call through the server).
 * @param {string} _token
 * @param {object} [_options]
 * @returns {never}
 */
export function runPreflight(_token, _options) {
  throw unsupported('Video.runPreflight');
}

/** Events twilio-video can emit that this SDK never does, and why. */
export const NEVER_EMITTED = {
  recordingStarted: 'Confide does not record rooms',
  recordingStopped: 'Confide does not record rooms',
  transcription: 'Confide has no transcription',
  trackMessage: 'needs data tracks',
  trackWarning: "needs Twilio's media warnings (notifyWarnings), which Confide's server does not send",
  trackWarningsCleared: "needs Twilio's media warnings (notifyWarnings)",
  warning: "needs Twilio's media warnings (notifyWarnings)",
  warningsCleared: "needs Twilio's media warnings (notifyWarnings)",
  subscriptionFailed: 'the server subscribes everyone to every track; a failure shows as a media error (53400–53405)',
  trackSubscriptionFailed: 'the server subscribes everyone to every track; a failure shows as a media error (53400–53405)',
};
