// The encoded-transform worker of end-to-end encryption (e2ee.js creates
// it as a module worker and hands it every sender and receiver of the room
// with `new RTCRtpScriptTransform(worker, {side, kind})`). Each transform
// arrives here as an `rtctransform` event; its frames are encrypted with
// SFrame (sframe.js) after the encoder on the send side, and decrypted
// before the decoder on the receive side.
//
// A frame on the wire: `[clear prefix][SFrame header][ciphertext ‖ tag]`.
// The clear prefix is what the browser's RTP packetizer and the receiver's
// depacketizer must read to handle the frame: for VP8, the 3-byte payload
// header of a delta frame (keyframe bit, first partition size) or the
// 10 bytes of a keyframe (the same plus start code and picture size). Audio
// (Opus) needs nothing, so all of it is encrypted. The prefix is
// authenticated with the rest; the server, which does not read it, learns
// only frame types and sizes it could see from packet sizes anyway. The
// prefix lengths assume VP8: with H.264 the packetizer would look for NAL
// units inside ciphertext, so e2ee needs VP8 negotiated.
//
// One worker, one SFrameContext: audio and video senders share the send
// key's counter, so no two frames are sealed with the same nonce.
//
// Messages in (worker.postMessage):
//   {type: 'setSendKey', kid, key}     key: the raw base key (ArrayBuffer)
//   {type: 'addReceiveKey', kid, key}
//   {type: 'removeReceiveKey', kid}
//   {type: 'stats'}                  → {type: 'stats', encrypted, decrypted, dropped, failed}
//   {type: 'recordPlaintext', count} tests only, see below
//   {type: 'plaintext'}              → {type: 'plaintext', frames: ArrayBuffer[], clearPrefixLengths: number[]}
// and out, when a key message cannot be applied:
//   {type: 'error', request, message}
//
// Counters: `encrypted` and `decrypted` count frames passed on; `dropped`
// counts frames held back for want of a key (sending before setSendKey,
// receiving a KID we have no key for); `failed` counts frames that did not
// authenticate, were malformed, or could not be encrypted. Dropped and
// failed frames are never passed on: nothing leaves in clear, and nothing
// unauthenticated reaches the decoder.

import { SFrameContext, SFrameUnknownKeyError } from './sframe.js';

/** @typedef {RTCEncodedVideoFrame|RTCEncodedAudioFrame} EncodedFrame */

/**
 * The worker side of an RTCRtpScriptTransform (RTCRtpScriptTransformer);
 * declared here because the SDK is type-checked against the DOM library,
 * which does not describe worker-only interfaces.
 * @typedef {object} FrameTransformer
 * @property {ReadableStream<EncodedFrame>} readable
 * @property {WritableStream<EncodedFrame>} writable
 * @property {unknown} options what the page passed as RTCRtpScriptTransform's second argument
 * @property {() => Promise<unknown>} [generateKeyFrame] send side: have the encoder make a keyframe
 * @property {() => Promise<unknown>} [sendKeyFrameRequest] receive side: ask the remote sender for one
 */

/**
 * The parts of DedicatedWorkerGlobalScope this worker uses.
 * @typedef {object} TransformWorkerScope
 * @property {((event: {transformer: FrameTransformer}) => void)|null} onrtctransform
 * @property {((event: MessageEvent) => void)|null} onmessage
 * @property {(message: unknown, transfer?: Transferable[]) => void} postMessage
 */

/** @typedef {'audio'|'video'} Kind */

const scope = /** @type {TransformWorkerScope} */ (/** @type {unknown} */ (globalThis));

const context = new SFrameContext();
const counters = { encrypted: 0, decrypted: 0, dropped: 0, failed: 0 };
// Running video transforms, to ask for a keyframe when a key arrives.
/** @type {Set<FrameTransformer>} */
const videoSenders = new Set();
/** @type {Set<FrameTransformer>} */
const videoReceivers = new Set();

// Clear bytes at the start of a VP8 frame (see the top of this file).
const VP8_KEYFRAME_PREFIX = 10;
const VP8_DELTA_FRAME_PREFIX = 3;

// ---- plaintext recording (tests only) -------------------------------------------
//
// A test that must show the server holds only ciphertext asks for the next
// `count` video frames as they were before encryption, then looks for their
// bytes in what the server stored. The first 3 or 10 bytes of each frame are
// sent in clear by design (clearPrefixLengths says how many), so a test
// should look for what follows them. Only frames that are about to be
// encrypted and sent are recorded. Costs nothing unless asked: one
// comparison per frame.

let plaintextWanted = 0;
/** @type {{frame: ArrayBuffer, clearPrefixLength: number}[]} */
let plaintextRecorded = [];

/**
 * @param {ArrayBuffer} data
 * @param {number} clearPrefixLength
 */
function recordPlaintext(data, clearPrefixLength) {
  if (plaintextRecorded.length >= plaintextWanted) return;
  plaintextRecorded.push({ frame: data.slice(0), clearPrefixLength });
}

// ---- transforms -----------------------------------------------------------------

/**
 * @param {EncodedFrame} frame
 * @param {Kind} kind
 * @returns {number} how many leading bytes stay in clear
 */
function clearPrefixLength(frame, kind) {
  if (kind === 'audio') return 0;
  return /** @type {RTCEncodedVideoFrame} */ (frame).type === 'key' ? VP8_KEYFRAME_PREFIX : VP8_DELTA_FRAME_PREFIX;
}

/**
 * @param {EncodedFrame} frame
 * @param {Kind} kind
 * @param {TransformStreamDefaultController<EncodedFrame>} controller
 */
async function encryptFrame(frame, kind, controller) {
  // Never sent in clear: until there is a key, frames go nowhere.
  if (!context.hasSendKey) {
    counters.dropped++;
    return;
  }
  const prefix = clearPrefixLength(frame, kind);
  if (kind === 'video' && plaintextWanted > 0) recordPlaintext(frame.data, prefix);
  try {
    const sealed = await context.encrypt(frame.data, prefix);
    frame.data = sealed.buffer;
  } catch {
    // A frame shorter than its prefix, or a send key that failed to derive.
    counters.failed++;
    return;
  }
  counters.encrypted++;
  controller.enqueue(frame);
}

/**
 * @param {EncodedFrame} frame
 * @param {Kind} kind
 * @param {TransformStreamDefaultController<EncodedFrame>} controller
 */
async function decryptFrame(frame, kind, controller) {
  try {
    const opened = await context.decrypt(frame.data, clearPrefixLength(frame, kind));
    frame.data = opened.buffer;
  } catch (error) {
    // Unknown KID: most likely frames that overtook the key message (a
    // keyframe is asked for when the key comes, see askForKeyframes).
    // Anything else is damage or forgery, and RFC 9605 says to discard it.
    if (error instanceof SFrameUnknownKeyError) counters.dropped++;
    else counters.failed++;
    return;
  }
  counters.decrypted++;
  controller.enqueue(frame);
}

/** @param {FrameTransformer} transformer */
function attach(transformer) {
  const options = /** @type {{side?: unknown, kind?: unknown}} */ (transformer.options || {});
  const side = options.side;
  const kind = options.kind;
  if ((side !== 'send' && side !== 'receive') || (kind !== 'audio' && kind !== 'video')) {
    // Guessing could mean sending in clear; leaving the readable unread
    // stops this track's media instead, which is safe and visible.
    scope.postMessage({ type: 'error', request: 'rtctransform', message: `bad transform options ${JSON.stringify(options)}` });
    return;
  }
  const handle = side === 'send' ? encryptFrame : decryptFrame;
  // TransformStream awaits each transform() before calling the next, so
  // frames are processed one at a time and leave in the order they came.
  const frames = new TransformStream({
    /** @param {EncodedFrame} frame @param {TransformStreamDefaultController<EncodedFrame>} controller */
    transform: (frame, controller) => handle(frame, /** @type {Kind} */ (kind), controller),
  });
  const live = kind === 'video' ? (side === 'send' ? videoSenders : videoReceivers) : null;
  if (live) live.add(transformer);
  transformer.readable
    .pipeThrough(frames)
    .pipeTo(transformer.writable)
    // The pipe ends when the sender or receiver goes away.
    .catch(() => {})
    .finally(() => live && live.delete(transformer));
}

/**
 * Video decodes only from a keyframe on, and the frames dropped while a key
 * was missing may have held the last one. With a new key, ask for a fresh
 * keyframe instead of waiting for the decoder to notice: from our encoder
 * (send key) or from the other side's (receive key). Best effort; browsers
 * without these methods recover on their own, only slower.
 * @param {Set<FrameTransformer>} transformers
 * @param {'generateKeyFrame'|'sendKeyFrameRequest'} method
 */
function askForKeyframes(transformers, method) {
  for (const transformer of transformers) {
    const ask = transformer[method];
    if (typeof ask !== 'function') continue;
    try {
      ask.call(transformer).catch(() => {});
    } catch {
      // e.g. InvalidStateError while the sender has no track yet.
    }
  }
}

scope.onrtctransform = (event) => attach(event.transformer);

// ---- messages -------------------------------------------------------------------

/**
 * @param {unknown} key
 * @returns {ArrayBuffer|ArrayBufferView}
 */
function rawKey(key) {
  if (key instanceof ArrayBuffer || ArrayBuffer.isView(key)) return key;
  throw new TypeError('key must be an ArrayBuffer');
}

/**
 * Wipes the worker's copy of a base key once it has been derived from.
 * @param {ArrayBuffer|ArrayBufferView} key
 */
function wipe(key) {
  const bytes = key instanceof ArrayBuffer ? new Uint8Array(key) : new Uint8Array(key.buffer, key.byteOffset, key.byteLength);
  bytes.fill(0);
}

/** @param {any} message */
async function handleMessage(message) {
  switch (message && message.type) {
    case 'setSendKey': {
      const key = rawKey(message.key);
      try {
        // setSendKey takes effect before it returns a promise: frames that
        // come while the key is derived wait for it instead of being dropped.
        await context.setSendKey(message.kid, key);
      } finally {
        wipe(key);
      }
      askForKeyframes(videoSenders, 'generateKeyFrame');
      break;
    }
    case 'addReceiveKey': {
      const key = rawKey(message.key);
      try {
        await context.addReceiveKey(message.kid, key);
      } finally {
        wipe(key);
      }
      askForKeyframes(videoReceivers, 'sendKeyFrameRequest');
      break;
    }
    case 'removeReceiveKey':
      context.removeReceiveKey(message.kid);
      break;
    case 'stats':
      scope.postMessage({ type: 'stats', ...counters });
      break;
    case 'recordPlaintext':
      plaintextWanted = Math.max(0, Math.floor(Number(message.count) || 0));
      plaintextRecorded = [];
      break;
    case 'plaintext': {
      // Everything recorded so far, copied: the page may ask again (polling
      // until it has `count`), and recording goes on until it has them.
      const frames = plaintextRecorded.map((r) => r.frame.slice(0));
      const clearPrefixLengths = plaintextRecorded.map((r) => r.clearPrefixLength);
      scope.postMessage({ type: 'plaintext', frames, clearPrefixLengths }, frames);
      break;
    }
    default:
      break;
  }
}

scope.onmessage = (event) => {
  const message = event.data;
  handleMessage(message).catch((error) => {
    scope.postMessage({ type: 'error', request: message && message.type, message: String((error && error.message) || error) });
  });
};
