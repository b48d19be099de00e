// Events twilio-video can emit that Confide never does, with the reason,
// for the compatibility table scripts/sdk-compat.mjs writes into README.md.
// (A member the SDK refuses throws `unsupported(...)` from errors.js where
// it is defined: a TwilioError naming it, never a TypeError.)

/** Events twilio-video can emit that this SDK never does, and why. */
export const NEVER_EMITTED = {
  recordingStarted: 'Confide does not record rooms',
  recordingStopped: 'Confide does not record rooms',
  transcription: 'Confide has no transcription',
  trackWarning: "needs Twilio's media warnings (notifyWarnings), which Confide's server does not send",
  trackWarningsCleared: "needs Twilio's media warnings (notifyWarnings)",
  warning: "needs Twilio's media warnings (notifyWarnings)",
  warningsCleared: "needs Twilio's media warnings (notifyWarnings)",
  subscriptionFailed: 'the server subscribes everyone to every track; a failure shows as a media error (53400–53405)',
  trackSubscriptionFailed: 'the server subscribes everyone to every track; a failure shows as a media error (53400–53405)',
};
