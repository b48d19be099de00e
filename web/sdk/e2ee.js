// End-to-end encryption of a two-person room's media: a Confide extension
// (twilio-video has none), asked for with `connect(token, {e2ee: true})`.
//
// How the keys come about, and what the server sees:
// - Each browser makes an ECDH P-256 key pair for the room (the private half
//   never leaves WebCrypto) and announces the public half over signaling
//   (`e2ee_key`, docs/signaling.md 4.11). The server relays public keys and
//   nothing else.
// - With the other person's public key, each derives the same shared secret
//   and from it, with HKDF, one SFrame base key per direction (the sender's
//   public key in the label) and its key id (KID). Media frames are then
//   encrypted with SFrame (RFC 9605, sframe.js) in a worker through
//   encoded transforms (e2ee-worker.js) before they are packetized, so the
//   server forwards, caches and repairs ciphertext it cannot open.
// - A server that swapped public keys could sit in the middle; the safety
//   code (a hash of both public keys) is what the two people compare, on
//   screen or aloud, to rule that out. It is the same on both sides only
//   when each holds the other's real key.
// - Keys are for two: with a third person the latest one to announce a key
//   gets our send key and the others cannot decrypt. The clinic turns this on
//   for appointment sessions, which are a psychologist and a patient.
//
// One worker holds every transform of the room, so audio and video share
// the send key's frame counter and a nonce is never used twice.

import { EventEmitter } from './events.js';

const encoder = new TextEncoder();

/** Where e2ee-worker.js is: beside this module, or beside the script-tag
 * build (twilio-video.min.js, which has no import.meta). */
const SDK_URL = import.meta.url || (typeof document !== 'undefined' && document.currentScript instanceof HTMLScriptElement ? document.currentScript.src : '');

/** @param {Uint8Array} bytes */
function base64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @param {string} text */
function fromBase64url(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
}

/**
 * @param {...Uint8Array} parts
 * @returns {Uint8Array<ArrayBuffer>}
 */
function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** @param {Uint8Array<ArrayBuffer>} data */
async function sha256(data) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

/** Byte-wise order, so both sides put the two keys the same way round. @param {Uint8Array} a @param {Uint8Array} b */
function ordered(a, b) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] < b[i] ? [a, b] : [b, a];
  return a.length <= b.length ? [a, b] : [b, a];
}

/**
 * The key id of what `sender` encrypts for `receiver`: 48 bits of a hash of
 * both public keys, so a new key pair on either side is a new KID.
 * @param {Uint8Array} sender
 * @param {Uint8Array} receiver
 */
async function keyId(sender, receiver) {
  const h = await sha256(concat(encoder.encode('confide e2ee kid'), sender, receiver));
  return h.slice(0, 6).reduce((n, b) => n * 256 + b, 0);
}

/**
 * The code both people compare: 12 digits from a hash of the two public
 * keys, in the same order on both sides.
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
export async function safetyCodeOf(a, b) {
  const [lo, hi] = ordered(a, b);
  const h = await sha256(concat(encoder.encode('confide safety code'), lo, hi));
  const n = h.slice(0, 8).reduce((acc, x) => (acc << 8n) | BigInt(x), 0n) % 10n ** 12n;
  return n.toString().padStart(12, '0').replace(/(\d{4})(?=\d)/g, '$1 ');
}

/**
 * Events: `safetyCode(code)` when a key is agreed with the other person
 * (again when they come back with a new key).
 */
export class EndToEndEncryption extends EventEmitter {
  /** Whether this browser can encrypt frames (encoded transforms in a worker). */
  static isSupported() {
    return typeof RTCRtpScriptTransform === 'function' && typeof Worker === 'function' && !!(globalThis.crypto && crypto.subtle);
  }

  constructor() {
    super();
    /** @type {string|null} the code to compare, once a key is agreed */
    this.safetyCode = null;
    /** @type {string|null} the participant SID the key is agreed with */
    this.peerSid = null;
    this._worker = new Worker(new URL('./e2ee-worker.js', SDK_URL || location.href), { type: 'module' });
    /** @type {Map<string, {publicKey: string, kid: number}>} the others' keys, by participant SID */
    this._peers = new Map();
    this._closed = false;
    /** @type {Promise<{pair: CryptoKeyPair, raw: Uint8Array}>} */
    this._own = crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']).then(async (pair) => {
      const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
      return { pair, raw };
    });
  }

  /** @returns {Promise<string>} our public key, base64url, for `e2ee_key` */
  async publicKey() {
    return base64url((await this._own).raw);
  }

  /**
   * Someone's public key: keys for both directions are derived from it.
   * @param {string} participantSid
   * @param {string} publicKey base64url
   */
  async setPeer(participantSid, publicKey) {
    const known = this._peers.get(participantSid);
    if (this._closed || (known && known.publicKey === publicKey)) return;
    const { pair, raw } = await this._own;
    const theirs = fromBase64url(publicKey);
    const them = await crypto.subtle.importKey('raw', theirs, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
    const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: them }, pair.privateKey, 256);
    const [lo, hi] = ordered(raw, theirs);
    const salt = await sha256(concat(lo, hi));
    const ikm = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveBits']);
    /** @param {Uint8Array} sender */
    const baseKey = (sender) => crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt, info: concat(encoder.encode('confide e2ee sender '), sender) }, ikm, 128);
    const [sendKey, receiveKey, sendKid, receiveKid, code] = await Promise.all([baseKey(raw), baseKey(theirs), keyId(raw, theirs), keyId(theirs, raw), safetyCodeOf(raw, theirs)]);
    if (this._closed) return;
    if (known) this._worker.postMessage({ type: 'removeReceiveKey', kid: known.kid });
    this._peers.set(participantSid, { publicKey, kid: receiveKid });
    this._worker.postMessage({ type: 'addReceiveKey', kid: receiveKid, key: receiveKey }, [receiveKey]);
    this._worker.postMessage({ type: 'setSendKey', kid: sendKid, key: sendKey }, [sendKey]);
    this.peerSid = participantSid;
    this.safetyCode = code;
    this.emit('safetyCode', code);
  }

  /** They left: their frames no longer decrypt. @param {string} participantSid */
  removePeer(participantSid) {
    const known = this._peers.get(participantSid);
    if (!known || this._closed) return;
    this._peers.delete(participantSid);
    this._worker.postMessage({ type: 'removeReceiveKey', kid: known.kid });
  }

  /**
   * Encrypts what this sender sends; set before its first frame, and kept
   * when the sender is given another track.
   * @param {RTCRtpSender} sender
   * @param {'audio'|'video'} kind
   */
  attachSender(sender, kind) {
    if (!this._closed && !sender.transform) sender.transform = new RTCRtpScriptTransform(this._worker, { side: 'send', kind });
  }

  /**
   * Decrypts what this receiver receives (frames nobody can decrypt are
   * dropped, never decoded).
   * @param {RTCRtpReceiver} receiver
   * @param {'audio'|'video'} kind
   */
  attachReceiver(receiver, kind) {
    if (!this._closed && !receiver.transform) receiver.transform = new RTCRtpScriptTransform(this._worker, { side: 'receive', kind });
  }

  /**
   * The worker's counters: frames encrypted, decrypted, dropped for want of
   * a key, and failed authentication.
   * @returns {Promise<{encrypted: number, decrypted: number, dropped: number, failed: number}>}
   */
  stats() {
    return this._ask({ type: 'stats' }, 'stats');
  }

  /**
   * Tests only: the next `count` video frames we send, as they were before
   * encryption (to look for them where only ciphertext should be).
   * @param {number} count
   * @returns {Promise<ArrayBuffer[]>}
   */
  async plaintextSample(count) {
    this._worker.postMessage({ type: 'recordPlaintext', count });
    for (;;) {
      const reply = await this._ask({ type: 'plaintext' }, 'plaintext');
      if (reply.frames.length >= count || this._closed) return reply.frames;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  close() {
    if (this._closed) return;
    this._closed = true;
    this._worker.terminate();
  }

  /**
   * @param {object} message
   * @param {string} replyType
   * @returns {Promise<any>}
   */
  _ask(message, replyType) {
    return new Promise((resolve) => {
      /** @param {MessageEvent} event */
      const onReply = (event) => {
        if (!event.data || event.data.type !== replyType) return;
        this._worker.removeEventListener('message', onReply);
        resolve(event.data);
      };
      this._worker.addEventListener('message', onReply);
      this._worker.postMessage(message);
    });
  }
}
