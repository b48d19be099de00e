// Errors the SDK hands to applications. Applications written for twilio-video
// branch on `error.code` (and sometimes `error.name` or `instanceof Error`),
// so every failure — refused joins, dropped connections, failed media — is a
// TwilioError carrying Twilio's number. The server already uses Twilio's codes
// (docs/signaling.md section 10); the table below adds the names twilio-video
// gives them and a message for failures the client detects on its own.

/** @type {Record<number, [string, string]>} code → [error name, default message] */
const KNOWN = {
  20101: ['AccessTokenInvalidError', 'Invalid Access Token'],
  20102: ['AccessTokenHeaderInvalidError', 'Invalid Access Token header'],
  20103: ['AccessTokenIssuerInvalidError', 'Invalid Access Token issuer/subject'],
  20104: ['AccessTokenExpiredError', 'Access Token expired or expiration date invalid'],
  20105: ['AccessTokenNotYetValidError', 'Access Token not yet valid'],
  20106: ['AccessTokenGrantsInvalidError', 'Invalid Access Token grants'],
  20107: ['AccessTokenSignatureInvalidError', 'Invalid Access Token signature'],
  53000: ['SignalingConnectionError', 'Signaling connection error'],
  53001: ['SignalingConnectionDisconnectedError', 'Signaling connection disconnected'],
  53002: ['SignalingConnectionTimeoutError', 'Signaling connection timed out'],
  53105: ['RoomMaxParticipantsExceededError', 'Room exceeded max participant count'],
  53106: ['RoomNotFoundError', 'Room not found'],
  53118: ['RoomCompletedError', 'Room completed'],
  53205: ['ParticipantDuplicateIdentityError', 'Participant disconnected because of duplicate identity'],
  53300: ['TrackInvalidError', 'Track is invalid'],
  53304: ['TrackNameIsDuplicatedError', 'Track name is duplicated'],
  53400: ['MediaClientLocalDescFailedError', 'Client is unable to create or apply a local media description'],
  53402: ['MediaClientRemoteDescFailedError', 'Client is unable to apply a remote media description'],
  53405: ['MediaConnectionError', 'Media connection failed or Media activity ceased'],
};

export class TwilioError extends Error {
  /**
   * @param {number} code Twilio's error number
   * @param {string} [message] readable detail; defaults to Twilio's wording
   */
  constructor(code, message) {
    const known = KNOWN[code];
    super(message || (known ? known[1] : `Error ${code}`));
    /** @type {number} */
    this.code = code;
    this.name = known ? known[0] : 'TwilioError';
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
  const known = KNOWN[code];
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
