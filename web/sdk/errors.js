// Errors the SDK hands to applications. Applications written for twilio-video
// branch on `error.code` (and sometimes `error.name` or `instanceof Error`),
// so every failure — refused joins, dropped connections, failed media — is a
// TwilioError carrying Twilio's number. The server already uses Twilio's codes
// (docs/signaling.md section 10); errorcodes.js, generated from twilio-video's
// own table, gives each its name and Twilio's message.

import { TWILIO_ERRORS } from './errorcodes.js';

/** The code of {@link unsupported}'s errors: Twilio has none for "this SDK
 * does not have it", and 0 is no Twilio code. */
export const UNSUPPORTED = 0;

export class TwilioError extends Error {
  /**
   * @param {number} code Twilio's error number
   * @param {string} [message] readable detail; defaults to Twilio's wording
   */
  constructor(code, message) {
    const known = TWILIO_ERRORS[code];
    super(message || (known ? known[1] : `Error ${code}`));
    /** @type {number} */
    this.code = code;
    this.name = known ? known[0] : code === UNSUPPORTED ? 'UnsupportedError' : 'TwilioError';
  }

  toString() {
    return `${this.name} (${this.code}): ${this.message}`;
  }
}

/**
 * @param {number} code
 * @param {string} [detail] appended to Twilio's wording, to say what happened here
 * @returns {TwilioError}
 */
export function createError(code, detail) {
  const known = TWILIO_ERRORS[code];
  const base = known ? known[1] : `Error ${code}`;
  return new TwilioError(code, detail ? `${base}: ${detail}` : base);
}

/**
 * The server's `error` message as an Error (its message is already readable).
 * @param {{code?: number, message?: string, [field: string]: any}} msg
 * @returns {TwilioError}
 */
export function errorFromServer(msg) {
  const code = typeof msg.code === 'number' ? msg.code : 53000;
  return new TwilioError(code, msg.message);
}

/**
 * Whether a session lost to `error` is worth rejoining with the same token.
 * Token errors will not get better, 53205 means the user is now connected
 * elsewhere, 53118 means the room is over; a restart of the server is 53001.
 * @param {TwilioError|Error|undefined} error
 */
export function isRetryable(error) {
  const code = error && /** @type {TwilioError} */ (error).code;
  return code === 53001 || code === 53002 || code === 53405;
}

/**
 * What a member of twilio-video's API that Confide's SDK does not have
 * throws (scripts/sdk-compat.mjs finds these calls, and lists the member as
 * unsupported in web/sdk/README.md).
 * @param {string} member `Class.member`, as twilio-video's definitions name it
 * @returns {TwilioError}
 */
export function unsupported(member) {
  return new TwilioError(UNSUPPORTED, `${member} is not supported by Confide's SDK`);
}
