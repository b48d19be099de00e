// SFrame (RFC 9605) end-to-end encryption of media frames, with the one
// cipher suite Confide uses: AES_128_GCM_SHA256_128 (0x0004: HKDF-SHA256,
// AES-128-GCM, 12-byte nonce, full 16-byte tag). The server forwards these
// frames but never holds a key, so it sees only ciphertext. Keys come from
// elsewhere (the browsers' ECDH agreement); this module only derives the
// per-KID AES key and salt from a base key and seals or opens frames.
//
// An encrypted frame, as it leaves the encoder transform:
//
//   +----------------+---------------+-----------------------------+
//   | clear prefix   | SFrame header | AES-GCM ciphertext ‖ tag    |
//   | (P bytes)      | (1–15 bytes)  | (len(plaintext) + 16 bytes) |
//   +----------------+---------------+-----------------------------+
//
// The clear prefix is the start of the encoded frame left unencrypted:
// 3 bytes for a VP8 delta frame and 10 for a VP8 keyframe (the payload
// header, with the keyframe bit, first-partition size and, on keyframes,
// the picture size), 0 for audio. The browser's own RTP packetizer and the
// receiving depacketizer read those bytes to split the frame into packets
// and to tell keyframes from delta frames; if they were ciphertext the
// receiver would drop the video. They reveal frame type, partition size and
// picture size, little beyond what packet sizes already show. The prefix is not secret but it is
// authenticated: it is the SFrame `metadata` of RFC 9605 §4.4.3, so the AEAD's
// additional data is `SFrame header ‖ clear prefix` — the RFC's
// `aad = header + metadata`, in that order — and changing a single bit of
// the prefix, the header or the ciphertext makes decryption fail.
//
// KID and CTR are JavaScript numbers, integers from 0 to 2^53−1
// (Number.MAX_SAFE_INTEGER). That is a subset of the RFC's 64-bit range:
// decodeHeader rejects headers carrying larger values rather than round
// them, and a sender cannot exhaust 2^53 counters (at 100 frames/s that
// is 2.8 million years).
//
// No DOM: this runs in the encoded-transform worker (e2ee-worker.js) and in
// Node 20, both of which have WebCrypto as globalThis.crypto.subtle. In a
// browser that exists only in a secure context (https, or localhost).

/** The RFC 9605 cipher suite identifier, mixed into the key derivation labels. */
export const CIPHER_SUITE = 0x0004;
/** AEAD.Nk: AES-128 key bytes. */
export const KEY_LENGTH = 16;
/** AEAD.Nn: nonce bytes. */
export const NONCE_LENGTH = 12;
/** AEAD.Nt: authentication tag bytes, the per-frame overhead besides the header. */
export const TAG_LENGTH = 16;
/** The largest KID or CTR this implementation encodes or accepts. */
export const MAX_HEADER_VALUE = Number.MAX_SAFE_INTEGER;

/** @typedef {Uint8Array<ArrayBuffer>} Bytes */

/**
 * What deriveKeyAndSalt produces for one (base key, KID): RFC 9605's
 * `sframe_key` (as a non-extractable AES-GCM key) and `sframe_salt`.
 * @typedef {object} SFrameKeys
 * @property {CryptoKey} key
 * @property {Bytes} salt NONCE_LENGTH bytes
 */

// ---- errors -------------------------------------------------------------------
//
// Distinct classes so the transform can tell "not for us (yet)" from
// "forged or damaged": RFC 9605 §4.4.4 lets a receiver keep a frame with an
// unknown KID for later, but a frame that fails authentication is discarded.

/** Base class of every error this module throws on purpose. */
export class SFrameError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'SFrameError';
  }
}

/** The bytes where an SFrame header should be are not a valid one. */
export class SFrameHeaderError extends SFrameError {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'SFrameHeaderError';
  }
}

/** The frame names a KID this context has no receive key for. */
export class SFrameUnknownKeyError extends SFrameError {
  /** @param {number} kid */
  constructor(kid) {
    super(`no receive key for SFrame KID ${kid}`);
    this.name = 'SFrameUnknownKeyError';
    this.kid = kid;
  }
}

/** The frame was altered, truncated, or sealed under a different key. */
export class SFrameAuthenticationError extends SFrameError {
  /** @param {string} [message] */
  constructor(message = 'SFrame authentication failed') {
    super(message);
    this.name = 'SFrameAuthenticationError';
  }
}

/** encrypt() was called before setSendKey(). */
export class SFrameNoSendKeyError extends SFrameError {
  constructor() {
    super('no SFrame send key set');
    this.name = 'SFrameNoSendKeyError';
  }
}

// ---- header (RFC 9605 §4.3) ---------------------------------------------------
//
// Config byte, most significant bit first:
//
//   X (1) | K (3) | Y (1) | C (3)
//
// X = 0: K is the KID (0–7). X = 1: K + 1 is the KID's length in bytes,
// and the KID follows the config byte. Y and C say the same of the CTR,
// which follows the KID. Extended values are big-endian in the fewest bytes.

/**
 * @param {string} name
 * @param {unknown} value
 * @returns {asserts value is number}
 */
function checkHeaderValue(name, value) {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`SFrame ${name} must be an integer from 0 to 2^53-1, got ${String(value)}`);
  }
}

/** @param {number} value a safe non-negative integer @returns {number} its minimal big-endian length, 1–7 */
function minimalLength(value) {
  let length = 1;
  for (let rest = Math.floor(value / 256); rest > 0; rest = Math.floor(rest / 256)) length++;
  return length;
}

/**
 * Writes `value` big-endian into bytes[offset, offset + length).
 * @param {Uint8Array} bytes @param {number} offset @param {number} length @param {number} value
 */
function writeBigEndian(bytes, offset, length, value) {
  let rest = value;
  for (let i = length - 1; i >= 0; i--) {
    bytes[offset + i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/**
 * Encodes an SFrame header (RFC 9605 §4.3).
 * @param {number} kid 0 to 2^53−1
 * @param {number} ctr 0 to 2^53−1
 * @returns {Bytes}
 */
export function encodeHeader(kid, ctr) {
  checkHeaderValue('KID', kid);
  checkHeaderValue('CTR', ctr);
  const kidLength = kid < 8 ? 0 : minimalLength(kid);
  const ctrLength = ctr < 8 ? 0 : minimalLength(ctr);
  const header = new Uint8Array(1 + kidLength + ctrLength);
  const kidBits = kidLength ? 0x80 | ((kidLength - 1) << 4) : kid << 4;
  const ctrBits = ctrLength ? 0x08 | (ctrLength - 1) : ctr;
  header[0] = kidBits | ctrBits;
  writeBigEndian(header, 1, kidLength, kid);
  writeBigEndian(header, 1 + kidLength, ctrLength, ctr);
  return header;
}

/**
 * Reads an extended KID or CTR field.
 * @param {Uint8Array} bytes @param {number} offset @param {number} length 1–8
 * @param {string} name for messages
 * @returns {number}
 */
function readExtendedValue(bytes, offset, length, name) {
  if (offset + length > bytes.length) {
    throw new SFrameHeaderError(`SFrame header truncated: ${name} needs ${length} bytes, ${Math.max(0, bytes.length - offset)} left`);
  }
  // Values up to 2^53−1 fit in 7 bytes whose first is at most 0x1f.
  if (length === 8 || (length === 7 && bytes[offset] > 0x1f)) {
    throw new SFrameHeaderError(`SFrame ${name} above 2^53-1 is not supported`);
  }
  let value = 0;
  for (let i = 0; i < length; i++) value = value * 256 + bytes[offset + i];
  // The RFC makes the shortest encoding mandatory; anything longer is not
  // from a conforming sender, so it is refused here rather than decrypted.
  if (value < 8 || (length > 1 && bytes[offset] === 0)) {
    throw new SFrameHeaderError(`SFrame ${name} ${value} is not minimally encoded`);
  }
  return value;
}

/**
 * Decodes the SFrame header that starts at bytes[offset].
 * @param {Uint8Array} bytes
 * @param {number} [offset] where the header starts (after any clear prefix); default 0
 * @returns {{kid: number, ctr: number, length: number}} length: the header's size in bytes
 * @throws {SFrameHeaderError} truncated, non-minimal, or a value above 2^53−1
 */
export function decodeHeader(bytes, offset = 0) {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('decodeHeader needs a Uint8Array');
  if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`bad SFrame header offset ${offset}`);
  if (offset >= bytes.length) throw new SFrameHeaderError('SFrame header truncated: no config byte');
  const config = bytes[offset];
  let position = offset + 1;
  let kid = (config >> 4) & 0x07;
  if (config & 0x80) {
    kid = readExtendedValue(bytes, position, kid + 1, 'KID');
    position += ((config >> 4) & 0x07) + 1;
  }
  let ctr = config & 0x07;
  if (config & 0x08) {
    ctr = readExtendedValue(bytes, position, ctr + 1, 'CTR');
    position += (config & 0x07) + 1;
  }
  return { kid, ctr, length: position - offset };
}

// ---- key derivation (RFC 9605 §4.4.2) -----------------------------------------

/** @returns {SubtleCrypto} */
function subtle() {
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new SFrameError('SFrame needs WebCrypto (crypto.subtle), which browsers offer only on https or localhost');
  return s;
}

const KEY_LABEL = 'SFrame 1.0 Secret key ';
const SALT_LABEL = 'SFrame 1.0 Secret salt ';

/**
 * `label + KID (8 bytes, big-endian) + cipher_suite (2 bytes, big-endian)`.
 * @param {string} text @param {number} kid @returns {Bytes}
 */
function derivationLabel(text, kid) {
  const prefix = new TextEncoder().encode(text);
  const label = new Uint8Array(prefix.length + 10);
  label.set(prefix);
  writeBigEndian(label, prefix.length, 8, kid);
  writeBigEndian(label, prefix.length + 8, 2, CIPHER_SUITE);
  return label;
}

/**
 * A Uint8Array over the caller's bytes, without copying: frames are large
 * and come many times a second. The caller must leave them alone until the
 * promise it awaits settles.
 * @param {ArrayBuffer|ArrayBufferView} data @param {string} what for messages
 * @returns {Bytes}
 */
function viewBytes(data, what) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return /** @type {Bytes} */ (new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  throw new TypeError(`${what} must be an ArrayBuffer or a typed array`);
}

/**
 * RFC 9605 §4.4.2 for AES_128_GCM_SHA256_128:
 *
 *   sframe_secret = HKDF-Extract("", base_key)
 *   sframe_key    = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret key "  + KID + cipher_suite, 16)
 *   sframe_salt   = HKDF-Expand(sframe_secret, "SFrame 1.0 Secret salt " + KID + cipher_suite, 12)
 *
 * WebCrypto's HKDF is Extract-then-Expand in one call, so each output runs
 * both steps with an empty salt; the extracted secret is the same both times.
 *
 * @param {ArrayBuffer|ArrayBufferView} baseKey the raw base key, of any non-zero length
 * @param {number} kid 0 to 2^53−1
 * @returns {Promise<SFrameKeys>}
 */
export async function deriveKeyAndSalt(baseKey, kid) {
  checkHeaderValue('KID', kid);
  // A copy, so it can be wiped after use without touching the caller's.
  const base = viewBytes(baseKey, 'SFrame base key').slice();
  if (base.length === 0) throw new RangeError('SFrame base key is empty');
  const crypto = subtle();
  try {
    const hkdf = await crypto.importKey('raw', base, 'HKDF', false, ['deriveBits']);
    /** @param {string} text @param {number} length bytes */
    const expand = (text, length) =>
      crypto.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: derivationLabel(text, kid) }, hkdf, length * 8);
    const keyBytes = new Uint8Array(await expand(KEY_LABEL, KEY_LENGTH));
    const salt = new Uint8Array(await expand(SALT_LABEL, NONCE_LENGTH));
    const key = await crypto.importKey('raw', keyBytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    keyBytes.fill(0);
    return { key, salt };
  } finally {
    base.fill(0);
  }
}

// ---- encryption (RFC 9605 §4.4.3, §4.4.4) ------------------------------------

/**
 * nonce = sframe_salt XOR CTR, the CTR big-endian in NONCE_LENGTH bytes.
 * @param {Uint8Array} salt NONCE_LENGTH bytes
 * @param {number} ctr 0 to 2^53−1
 * @returns {Bytes}
 */
export function makeNonce(salt, ctr) {
  checkHeaderValue('CTR', ctr);
  if (salt.length !== NONCE_LENGTH) throw new RangeError(`SFrame salt must be ${NONCE_LENGTH} bytes`);
  const nonce = new Uint8Array(NONCE_LENGTH);
  writeBigEndian(nonce, 0, NONCE_LENGTH, ctr);
  for (let i = 0; i < NONCE_LENGTH; i++) nonce[i] ^= salt[i];
  return nonce;
}

/** @param {Uint8Array} a @param {Uint8Array} b @returns {Bytes} a ‖ b */
function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Seals `plaintext` and lays out `[before][header][ciphertext ‖ tag]` in one
 * buffer, `before` being the clear prefix (or nothing for the bare RFC form).
 * @param {SFrameKeys} keys @param {number} kid @param {number} ctr
 * @param {Uint8Array} metadata authenticated, not encrypted, not included in the output
 * @param {Uint8Array} plaintext
 * @param {Uint8Array} before copied in front of the header
 * @returns {Promise<Bytes>}
 */
async function seal(keys, kid, ctr, metadata, plaintext, before) {
  const header = encodeHeader(kid, ctr);
  const sealed = await subtle().encrypt(
    { name: 'AES-GCM', iv: makeNonce(keys.salt, ctr), additionalData: concat(header, metadata), tagLength: TAG_LENGTH * 8 },
    keys.key,
    /** @type {Bytes} */ (plaintext),
  );
  const out = new Uint8Array(before.length + header.length + sealed.byteLength);
  out.set(before);
  out.set(header, before.length);
  out.set(new Uint8Array(sealed), before.length + header.length);
  return out;
}

/**
 * Opens `[header][ciphertext ‖ tag]` found at sframe[0..]; the header was
 * already decoded by the caller (it chose the key by its KID).
 * @param {SFrameKeys} keys @param {number} ctr @param {number} headerLength
 * @param {Uint8Array} metadata @param {Uint8Array} sframe
 * @returns {Promise<ArrayBuffer>} the plaintext
 */
async function open(keys, ctr, headerLength, metadata, sframe) {
  const ciphertext = sframe.subarray(headerLength);
  if (ciphertext.length < TAG_LENGTH) throw new SFrameAuthenticationError('SFrame ciphertext shorter than its tag');
  const aad = concat(sframe.subarray(0, headerLength), metadata);
  try {
    return await subtle().decrypt(
      { name: 'AES-GCM', iv: makeNonce(keys.salt, ctr), additionalData: aad, tagLength: TAG_LENGTH * 8 },
      keys.key,
      /** @type {Bytes} */ (ciphertext),
    );
  } catch (error) {
    // WebCrypto reports a bad tag as OperationError and says nothing more.
    throw new SFrameAuthenticationError();
  }
}

/**
 * RFC 9605 `encrypt(CTR, KID, metadata, plaintext)` with explicit keys and
 * counter: returns `header ‖ ciphertext ‖ tag`. The caller must never use a
 * (keys, CTR) pair twice; SFrameContext does the counting.
 * @param {SFrameKeys} keys from deriveKeyAndSalt(baseKey, kid)
 * @param {number} kid @param {number} ctr
 * @param {Uint8Array} metadata authenticated but neither encrypted nor output
 * @param {Uint8Array} plaintext
 * @returns {Promise<Bytes>}
 */
export function sframeEncrypt(keys, kid, ctr, metadata, plaintext) {
  return seal(keys, kid, ctr, metadata, plaintext, new Uint8Array(0));
}

/**
 * RFC 9605 `decrypt(metadata, sframe_ciphertext)` with explicit keys; the
 * header's KID is not checked against the keys (the caller chose them).
 * @param {SFrameKeys} keys
 * @param {Uint8Array} metadata
 * @param {Uint8Array} sframeCiphertext header ‖ ciphertext ‖ tag
 * @returns {Promise<Bytes>} the plaintext
 */
export async function sframeDecrypt(keys, metadata, sframeCiphertext) {
  const { ctr, length } = decodeHeader(sframeCiphertext, 0);
  return new Uint8Array(await open(keys, ctr, length, metadata, sframeCiphertext));
}

// ---- context --------------------------------------------------------------------

/**
 * The keys of one endpoint: one send key (the KID this endpoint encrypts
 * under, with its counter) and any number of receive keys by KID. RFC 9605
 * requires a base key to be used for sending or for receiving, never both;
 * the two are kept apart here, and it is the key agreement's job to give
 * each sender its own KIDs.
 *
 * Nonce safety: the CTR is per KID and never goes back within a context,
 * even if setSendKey is called again with a KID already used, so a (key,
 * nonce) pair cannot repeat — provided nothing else encrypts under the same
 * base key and KID. Two contexts (e.g. two workers) must therefore never
 * share a send key and KID: both would count from 0.
 */
export class SFrameContext {
  constructor() {
    /** @type {{kid: number, keys: Promise<SFrameKeys>}|null} */
    this._send = null;
    /** @type {Map<number, number>} the next CTR for each KID ever used to send */
    this._nextCtr = new Map();
    /** @type {Map<number, Promise<SFrameKeys>>} */
    this._receive = new Map();
  }

  /** Whether encrypt() has a key to use. */
  get hasSendKey() {
    return this._send !== null;
  }

  /** The KID frames are being sent under, or null. */
  get sendKid() {
    return this._send ? this._send.kid : null;
  }

  /**
   * Makes `kid` the send key. It takes effect at once: encryptions started
   * after this call wait for the derivation rather than use the old key.
   * @param {number} kid 0 to 2^53−1
   * @param {ArrayBuffer|ArrayBufferView} baseKey
   * @returns {Promise<void>} settles when the key is derived (rejects if it cannot be)
   */
  setSendKey(kid, baseKey) {
    checkHeaderValue('KID', kid);
    const keys = deriveKeyAndSalt(baseKey, kid);
    // Failures surface through the returned promise and through encrypt();
    // this keeps the stored copy from being reported as unhandled.
    keys.catch(() => {});
    this._send = { kid, keys };
    if (!this._nextCtr.has(kid)) this._nextCtr.set(kid, 0);
    return keys.then(() => {});
  }

  /**
   * Adds (or replaces) the key for frames whose header carries `kid`.
   * @param {number} kid
   * @param {ArrayBuffer|ArrayBufferView} baseKey
   * @returns {Promise<void>} settles when the key is derived
   */
  addReceiveKey(kid, baseKey) {
    checkHeaderValue('KID', kid);
    // Stored as a promise, synchronously, so that a removeReceiveKey that
    // follows before the derivation ends still wins.
    const keys = deriveKeyAndSalt(baseKey, kid);
    keys.catch(() => {});
    this._receive.set(kid, keys);
    return keys.then(() => {});
  }

  /**
   * @param {number} kid
   * @returns {boolean} whether there was such a key
   */
  removeReceiveKey(kid) {
    return this._receive.delete(kid);
  }

  /**
   * Encrypts one frame under the send key with the next CTR.
   * @param {ArrayBuffer|ArrayBufferView} frame the encoded frame
   * @param {number} [clearPrefixLength] leading bytes left in clear (but authenticated); default 0
   * @returns {Promise<Bytes>} `[clear prefix][SFrame header][ciphertext ‖ tag]`, its own exactly-sized buffer
   * @throws {SFrameNoSendKeyError} before setSendKey
   * @throws {RangeError} if the frame is shorter than the clear prefix
   */
  async encrypt(frame, clearPrefixLength = 0) {
    const send = this._send;
    if (!send) throw new SFrameNoSendKeyError();
    const bytes = viewBytes(frame, 'SFrame plaintext');
    if (!Number.isSafeInteger(clearPrefixLength) || clearPrefixLength < 0 || clearPrefixLength > bytes.length) {
      throw new RangeError(`clear prefix of ${clearPrefixLength} bytes does not fit a ${bytes.length}-byte frame`);
    }
    // The CTR is taken before the first await, so encryptions that overlap
    // still get distinct counters; a failed one just leaves a gap.
    const ctr = /** @type {number} */ (this._nextCtr.get(send.kid));
    if (ctr > MAX_HEADER_VALUE) throw new SFrameError('SFrame CTR exhausted for this KID');
    this._nextCtr.set(send.kid, ctr + 1);
    const keys = await send.keys;
    const prefix = bytes.subarray(0, clearPrefixLength);
    return seal(keys, send.kid, ctr, prefix, bytes.subarray(clearPrefixLength), prefix);
  }

  /**
   * Decrypts one frame laid out as encrypt() makes them.
   * @param {ArrayBuffer|ArrayBufferView} frame
   * @param {number} [clearPrefixLength] must be what the sender used; default 0
   * @returns {Promise<Bytes>} `[clear prefix][plaintext]`, its own exactly-sized buffer
   * @throws {SFrameHeaderError} no valid header after the prefix
   * @throws {SFrameUnknownKeyError} the header's KID has no receive key
   * @throws {SFrameAuthenticationError} anything authenticated was altered, or the key is wrong
   */
  async decrypt(frame, clearPrefixLength = 0) {
    const bytes = viewBytes(frame, 'SFrame ciphertext');
    if (!Number.isSafeInteger(clearPrefixLength) || clearPrefixLength < 0) {
      throw new RangeError(`bad clear prefix length ${clearPrefixLength}`);
    }
    if (clearPrefixLength >= bytes.length) {
      throw new SFrameHeaderError(`SFrame frame of ${bytes.length} bytes has no room for a header after a ${clearPrefixLength}-byte prefix`);
    }
    const { kid, ctr, length } = decodeHeader(bytes, clearPrefixLength);
    const pending = this._receive.get(kid);
    if (!pending) throw new SFrameUnknownKeyError(kid);
    const keys = await pending;
    const prefix = bytes.subarray(0, clearPrefixLength);
    const plaintext = await open(keys, ctr, length, prefix, bytes.subarray(clearPrefixLength));
    const out = new Uint8Array(clearPrefixLength + plaintext.byteLength);
    out.set(prefix);
    out.set(new Uint8Array(plaintext), clearPrefixLength);
    return out;
  }
}
