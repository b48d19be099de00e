// SFrame (web/sdk/sframe.js) against RFC 9605's own test vectors, plus the
// properties end-to-end encryption relies on: what goes in comes out, the
// clear prefix, header and ciphertext are all authenticated, each frame
// gets a fresh counter, and unknown keys and bad headers are told apart.
// The transform worker (web/sdk/e2ee-worker.js) is driven here too, with
// fake encoded frames, since Node has WebCrypto and web streams but no
// WebRTC. No browser, no server:
//
//   node --test tests/browser/sframe.test.mjs
//
// Vectors: RFC 9605 Appendix C.1 (header encoding, all 289 cases) and C.3
// (key derivation and encryption, cipher suite 0x0004,
// AES_128_GCM_SHA256_128), as published at
// https://www.rfc-editor.org/rfc/rfc9605 and generated in the working
// group's repository (github.com/sframe-wg/sframe, test-vectors/header.md
// and test-vectors/sframe.md, unchanged since before publication).

import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  CIPHER_SUITE,
  KEY_LENGTH,
  NONCE_LENGTH,
  TAG_LENGTH,
  MAX_HEADER_VALUE,
  encodeHeader,
  decodeHeader,
  deriveKeyAndSalt,
  makeNonce,
  sframeEncrypt,
  sframeDecrypt,
  SFrameContext,
  SFrameError,
  SFrameHeaderError,
  SFrameUnknownKeyError,
  SFrameAuthenticationError,
  SFrameNoSendKeyError,
} from '../../web/sdk/sframe.js';

/** @param {string} text */
const fromHex = (text) => Uint8Array.from(text.replace(/\s+/g, '').match(/../g) || [], (h) => parseInt(h, 16));
/** @param {Uint8Array} bytes */
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
/** @param {number} length */
const randomBytes = (length) => globalThis.crypto.getRandomValues(new Uint8Array(length));

// ---- RFC 9605 Appendix C.1: header encoding ------------------------------------
//
// Every pair of these KID and CTR values, KID-major, and its header.

const VALUES = [
  '0000000000000000', '0000000000000001', '00000000000000ff', '0000000000000100',
  '000000000000ffff', '0000000000010000', '0000000000ffffff', '0000000001000000',
  '00000000ffffffff', '0000000100000000', '000000ffffffffff', '0000010000000000',
  '0000ffffffffffff', '0001000000000000', '00ffffffffffffff', '0100000000000000',
  'ffffffffffffffff',
];

const HEADERS = [
  // KID = VALUES[0]
  '00', '01', '08ff',
  '090100', '09ffff', '0a010000',
  '0affffff', '0b01000000', '0bffffffff',
  '0c0100000000', '0cffffffffff', '0d010000000000',
  '0dffffffffffff', '0e01000000000000', '0effffffffffffff',
  '0f0100000000000000', '0fffffffffffffffff',
  // KID = VALUES[1]
  '10', '11', '18ff',
  '190100', '19ffff', '1a010000',
  '1affffff', '1b01000000', '1bffffffff',
  '1c0100000000', '1cffffffffff', '1d010000000000',
  '1dffffffffffff', '1e01000000000000', '1effffffffffffff',
  '1f0100000000000000', '1fffffffffffffffff',
  // KID = VALUES[2]
  '80ff', '81ff', '88ffff',
  '89ff0100', '89ffffff', '8aff010000',
  '8affffffff', '8bff01000000', '8bffffffffff',
  '8cff0100000000', '8cffffffffffff', '8dff010000000000',
  '8dffffffffffffff', '8eff01000000000000', '8effffffffffffffff',
  '8fff0100000000000000', '8fffffffffffffffffff',
  // KID = VALUES[3]
  '900100', '910100', '980100ff',
  '9901000100', '990100ffff', '9a0100010000',
  '9a0100ffffff', '9b010001000000', '9b0100ffffffff',
  '9c01000100000000', '9c0100ffffffffff', '9d0100010000000000',
  '9d0100ffffffffffff', '9e010001000000000000', '9e0100ffffffffffffff',
  '9f01000100000000000000', '9f0100ffffffffffffffff',
  // KID = VALUES[4]
  '90ffff', '91ffff', '98ffffff',
  '99ffff0100', '99ffffffff', '9affff010000',
  '9affffffffff', '9bffff01000000', '9bffffffffffff',
  '9cffff0100000000', '9cffffffffffffff', '9dffff010000000000',
  '9dffffffffffffffff', '9effff01000000000000', '9effffffffffffffffff',
  '9fffff0100000000000000', '9fffffffffffffffffffff',
  // KID = VALUES[5]
  'a0010000', 'a1010000', 'a8010000ff',
  'a90100000100', 'a9010000ffff', 'aa010000010000',
  'aa010000ffffff', 'ab01000001000000', 'ab010000ffffffff',
  'ac0100000100000000', 'ac010000ffffffffff', 'ad010000010000000000',
  'ad010000ffffffffffff', 'ae01000001000000000000', 'ae010000ffffffffffffff',
  'af0100000100000000000000', 'af010000ffffffffffffffff',
  // KID = VALUES[6]
  'a0ffffff', 'a1ffffff', 'a8ffffffff',
  'a9ffffff0100', 'a9ffffffffff', 'aaffffff010000',
  'aaffffffffffff', 'abffffff01000000', 'abffffffffffffff',
  'acffffff0100000000', 'acffffffffffffffff', 'adffffff010000000000',
  'adffffffffffffffffff', 'aeffffff01000000000000', 'aeffffffffffffffffffff',
  'afffffff0100000000000000', 'afffffffffffffffffffffff',
  // KID = VALUES[7]
  'b001000000', 'b101000000', 'b801000000ff',
  'b9010000000100', 'b901000000ffff', 'ba01000000010000',
  'ba01000000ffffff', 'bb0100000001000000', 'bb01000000ffffffff',
  'bc010000000100000000', 'bc01000000ffffffffff', 'bd01000000010000000000',
  'bd01000000ffffffffffff', 'be0100000001000000000000', 'be01000000ffffffffffffff',
  'bf010000000100000000000000', 'bf01000000ffffffffffffffff',
  // KID = VALUES[8]
  'b0ffffffff', 'b1ffffffff', 'b8ffffffffff',
  'b9ffffffff0100', 'b9ffffffffffff', 'baffffffff010000',
  'baffffffffffffff', 'bbffffffff01000000', 'bbffffffffffffffff',
  'bcffffffff0100000000', 'bcffffffffffffffffff', 'bdffffffff010000000000',
  'bdffffffffffffffffffff', 'beffffffff01000000000000', 'beffffffffffffffffffffff',
  'bfffffffff0100000000000000', 'bfffffffffffffffffffffffff',
  // KID = VALUES[9]
  'c00100000000', 'c10100000000', 'c80100000000ff',
  'c901000000000100', 'c90100000000ffff', 'ca0100000000010000',
  'ca0100000000ffffff', 'cb010000000001000000', 'cb0100000000ffffffff',
  'cc01000000000100000000', 'cc0100000000ffffffffff', 'cd0100000000010000000000',
  'cd0100000000ffffffffffff', 'ce010000000001000000000000', 'ce0100000000ffffffffffffff',
  'cf01000000000100000000000000', 'cf0100000000ffffffffffffffff',
  // KID = VALUES[10]
  'c0ffffffffff', 'c1ffffffffff', 'c8ffffffffffff',
  'c9ffffffffff0100', 'c9ffffffffffffff', 'caffffffffff010000',
  'caffffffffffffffff', 'cbffffffffff01000000', 'cbffffffffffffffffff',
  'ccffffffffff0100000000', 'ccffffffffffffffffffff', 'cdffffffffff010000000000',
  'cdffffffffffffffffffffff', 'ceffffffffff01000000000000', 'ceffffffffffffffffffffffff',
  'cfffffffffff0100000000000000', 'cfffffffffffffffffffffffffff',
  // KID = VALUES[11]
  'd0010000000000', 'd1010000000000', 'd8010000000000ff',
  'd90100000000000100', 'd9010000000000ffff', 'da010000000000010000',
  'da010000000000ffffff', 'db01000000000001000000', 'db010000000000ffffffff',
  'dc0100000000000100000000', 'dc010000000000ffffffffff', 'dd010000000000010000000000',
  'dd010000000000ffffffffffff', 'de01000000000001000000000000', 'de010000000000ffffffffffffff',
  'df0100000000000100000000000000', 'df010000000000ffffffffffffffff',
  // KID = VALUES[12]
  'd0ffffffffffff', 'd1ffffffffffff', 'd8ffffffffffffff',
  'd9ffffffffffff0100', 'd9ffffffffffffffff', 'daffffffffffff010000',
  'daffffffffffffffffff', 'dbffffffffffff01000000', 'dbffffffffffffffffffff',
  'dcffffffffffff0100000000', 'dcffffffffffffffffffffff', 'ddffffffffffff010000000000',
  'ddffffffffffffffffffffffff', 'deffffffffffff01000000000000', 'deffffffffffffffffffffffffff',
  'dfffffffffffff0100000000000000', 'dfffffffffffffffffffffffffffff',
  // KID = VALUES[13]
  'e001000000000000', 'e101000000000000', 'e801000000000000ff',
  'e9010000000000000100', 'e901000000000000ffff', 'ea01000000000000010000',
  'ea01000000000000ffffff', 'eb0100000000000001000000', 'eb01000000000000ffffffff',
  'ec010000000000000100000000', 'ec01000000000000ffffffffff', 'ed01000000000000010000000000',
  'ed01000000000000ffffffffffff', 'ee0100000000000001000000000000', 'ee01000000000000ffffffffffffff',
  'ef010000000000000100000000000000', 'ef01000000000000ffffffffffffffff',
  // KID = VALUES[14]
  'e0ffffffffffffff', 'e1ffffffffffffff', 'e8ffffffffffffffff',
  'e9ffffffffffffff0100', 'e9ffffffffffffffffff', 'eaffffffffffffff010000',
  'eaffffffffffffffffffff', 'ebffffffffffffff01000000', 'ebffffffffffffffffffffff',
  'ecffffffffffffff0100000000', 'ecffffffffffffffffffffffff', 'edffffffffffffff010000000000',
  'edffffffffffffffffffffffffff', 'eeffffffffffffff01000000000000', 'eeffffffffffffffffffffffffffff',
  'efffffffffffffff0100000000000000', 'efffffffffffffffffffffffffffffff',
  // KID = VALUES[15]
  'f00100000000000000', 'f10100000000000000', 'f80100000000000000ff',
  'f901000000000000000100', 'f90100000000000000ffff', 'fa0100000000000000010000',
  'fa0100000000000000ffffff', 'fb010000000000000001000000', 'fb0100000000000000ffffffff',
  'fc01000000000000000100000000', 'fc0100000000000000ffffffffff', 'fd0100000000000000010000000000',
  'fd0100000000000000ffffffffffff', 'fe010000000000000001000000000000', 'fe0100000000000000ffffffffffffff',
  'ff01000000000000000100000000000000', 'ff0100000000000000ffffffffffffffff',
  // KID = VALUES[16]
  'f0ffffffffffffffff', 'f1ffffffffffffffff', 'f8ffffffffffffffffff',
  'f9ffffffffffffffff0100', 'f9ffffffffffffffffffff', 'faffffffffffffffff010000',
  'faffffffffffffffffffffff', 'fbffffffffffffffff01000000', 'fbffffffffffffffffffffffff',
  'fcffffffffffffffff0100000000', 'fcffffffffffffffffffffffffff', 'fdffffffffffffffff010000000000',
  'fdffffffffffffffffffffffffffff', 'feffffffffffffffff01000000000000', 'feffffffffffffffffffffffffffffff',
  'ffffffffffffffffff0100000000000000', 'ffffffffffffffffffffffffffffffffff',
];

describe('header encoding: RFC 9605 Appendix C.1', () => {
  test('the vectors cover every pair', () => {
    assert.equal(HEADERS.length, VALUES.length * VALUES.length);
  });

  test('values up to 2^53-1 encode and decode as in the RFC', () => {
    let checked = 0;
    for (let k = 0; k < VALUES.length; k++) {
      for (let c = 0; c < VALUES.length; c++) {
        const kid = BigInt('0x' + VALUES[k]);
        const ctr = BigInt('0x' + VALUES[c]);
        if (kid > BigInt(MAX_HEADER_VALUE) || ctr > BigInt(MAX_HEADER_VALUE)) continue;
        const expected = HEADERS[k * VALUES.length + c];
        const encoded = encodeHeader(Number(kid), Number(ctr));
        assert.equal(toHex(encoded), expected, `encodeHeader(0x${VALUES[k]}, 0x${VALUES[c]})`);
        assert.deepEqual(decodeHeader(fromHex(expected)), { kid: Number(kid), ctr: Number(ctr), length: expected.length / 2 });
        // Where a frame has it: after a clear prefix, before the ciphertext.
        const inFrame = fromHex('9d012a' + expected + 'ffeeddcc');
        assert.deepEqual(decodeHeader(inFrame, 3), { kid: Number(kid), ctr: Number(ctr), length: expected.length / 2 });
        checked++;
      }
    }
    assert.equal(checked, 14 * 14);
  });

  test('larger values, valid in the RFC, are refused rather than rounded', () => {
    let checked = 0;
    for (let k = 0; k < VALUES.length; k++) {
      for (let c = 0; c < VALUES.length; c++) {
        const kid = BigInt('0x' + VALUES[k]);
        const ctr = BigInt('0x' + VALUES[c]);
        if (kid <= BigInt(MAX_HEADER_VALUE) && ctr <= BigInt(MAX_HEADER_VALUE)) continue;
        const header = fromHex(HEADERS[k * VALUES.length + c]);
        assert.throws(() => decodeHeader(header), (e) => e instanceof SFrameHeaderError && /not supported/.test(e.message));
        checked++;
      }
    }
    assert.equal(checked, 289 - 14 * 14);
  });

  test('2^53-1 is the largest value', () => {
    assert.equal(MAX_HEADER_VALUE, 2 ** 53 - 1);
    assert.equal(toHex(encodeHeader(MAX_HEADER_VALUE, MAX_HEADER_VALUE)), 'ee1fffffffffffff1fffffffffffff');
    assert.deepEqual(decodeHeader(fromHex('ee1fffffffffffff1fffffffffffff')), { kid: MAX_HEADER_VALUE, ctr: MAX_HEADER_VALUE, length: 15 });
    assert.throws(() => decodeHeader(fromHex('0e20000000000000')), SFrameHeaderError);
  });

  test('encodeHeader takes only integers from 0 to 2^53-1', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53, '1', 1n, null, undefined]) {
      assert.throws(() => encodeHeader(/** @type {any} */ (bad), 0), RangeError, `KID ${String(bad)}`);
      assert.throws(() => encodeHeader(0, /** @type {any} */ (bad)), RangeError, `CTR ${String(bad)}`);
    }
  });
});

describe('malformed headers', () => {
  /** @param {string} hex @param {RegExp} message @param {number} [offset] */
  const refused = (hex, message, offset = 0) =>
    assert.throws(() => decodeHeader(fromHex(hex), offset), (e) => e instanceof SFrameHeaderError && e instanceof SFrameError && message.test(e.message), hex);

  test('no bytes at all, or none after the offset', () => {
    refused('', /truncated/);
    refused('9d012a', /truncated/, 3);
  });

  test('a KID or CTR cut short', () => {
    refused('80', /truncated: KID/); // 1-byte KID missing
    refused('a001', /truncated: KID/); // 3-byte KID, 1 present
    refused('08', /truncated: CTR/); // 1-byte CTR missing
    refused('0901', /truncated: CTR/); // 2-byte CTR, 1 present
    refused('99012345', /truncated: CTR/); // the RFC's 0x123/0x4567 header minus its last byte
    refused('ff' + 'ff'.repeat(15), /truncated|not supported/);
  });

  test('values not in their shortest form', () => {
    refused('0807', /not minimally encoded/); // CTR 7 belongs in the config byte
    refused('8005', /not minimally encoded/); // so does KID 5
    refused('090001', /not minimally encoded/); // CTR 1 in two bytes
    refused('900001', /not minimally encoded/); // KID 1 in two bytes
    refused('0a0000ff', /not minimally encoded/);
  });

  test('bad arguments are programming errors, not header errors', () => {
    assert.throws(() => decodeHeader(/** @type {any} */ ([0])), TypeError);
    assert.throws(() => decodeHeader(fromHex('00'), -1), RangeError);
    assert.throws(() => decodeHeader(fromHex('00'), 0.5), RangeError);
  });
});

// ---- RFC 9605 Appendix C.3: cipher suite 0x0004 ----------------------------------

const C3 = {
  kid: 0x123,
  ctr: 0x4567,
  baseKey: '000102030405060708090a0b0c0d0e0f',
  sframeKey: 'd34f547f4ca4f9a7447006fe7fcbf768',
  sframeSalt: '75234edefe07819026751816',
  metadata: '4945544620534672616d65205747',
  nonce: '75234edefe07819026755d71',
  pt: '64726166742d696574662d736672616d652d656e63',
  ct: '9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb',
};

describe('AES_128_GCM_SHA256_128: RFC 9605 Appendix C.3', () => {
  /** @type {import('../../web/sdk/sframe.js').SFrameKeys} */
  let keys;
  before(async () => {
    keys = await deriveKeyAndSalt(fromHex(C3.baseKey), C3.kid);
  });

  test('the suite constants', () => {
    assert.deepEqual([CIPHER_SUITE, KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH], [0x0004, 16, 12, 16]);
  });

  test('derives sframe_salt', () => {
    assert.equal(toHex(keys.salt), C3.sframeSalt);
  });

  test('derives sframe_key (a non-extractable AES-GCM key equal to the RFC\'s)', async () => {
    assert.equal(keys.key.extractable, false);
    assert.deepEqual(keys.key.usages.slice().sort(), ['decrypt', 'encrypt']);
    assert.equal(/** @type {AesKeyAlgorithm} */ (keys.key.algorithm).length, 128);
    // The derived key cannot be read back, so compare what it does: AES-GCM
    // is deterministic, so equal keys give equal ciphertexts.
    const expected = await crypto.subtle.importKey('raw', fromHex(C3.sframeKey), 'AES-GCM', false, ['encrypt']);
    const iv = randomBytes(12);
    const data = randomBytes(64);
    const mine = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, keys.key, data);
    const theirs = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, expected, data);
    assert.equal(toHex(new Uint8Array(mine)), toHex(new Uint8Array(theirs)));
  });

  test('the nonce is the salt XOR the CTR', () => {
    assert.equal(toHex(makeNonce(keys.salt, C3.ctr)), C3.nonce);
    assert.equal(toHex(makeNonce(keys.salt, 0)), C3.sframeSalt);
  });

  test('encrypt(CTR, KID, metadata, plaintext) gives the RFC ciphertext', async () => {
    const ct = await sframeEncrypt(keys, C3.kid, C3.ctr, fromHex(C3.metadata), fromHex(C3.pt));
    assert.equal(toHex(ct), C3.ct);
  });

  test('decrypt(metadata, ciphertext) gives the RFC plaintext', async () => {
    const pt = await sframeDecrypt(keys, fromHex(C3.metadata), fromHex(C3.ct));
    assert.equal(toHex(pt), C3.pt);
    await assert.rejects(sframeDecrypt(keys, fromHex(C3.metadata.slice(2)), fromHex(C3.ct)), SFrameAuthenticationError);
  });

  test('a context decrypts it, with the metadata as clear prefix', async () => {
    // A context frame is [clear prefix][header][ciphertext] with AAD
    // header ‖ prefix: the RFC's aad = header + metadata.
    const context = new SFrameContext();
    await context.addReceiveKey(C3.kid, fromHex(C3.baseKey));
    const frame = fromHex(C3.metadata + C3.ct);
    const plain = await context.decrypt(frame, fromHex(C3.metadata).length);
    assert.equal(toHex(plain), C3.metadata + C3.pt);
  });

  test('the key depends on the KID', async () => {
    const other = await deriveKeyAndSalt(fromHex(C3.baseKey), C3.kid + 1);
    assert.notEqual(toHex(other.salt), C3.sframeSalt);
  });

  test('base keys must be bytes, not empty', async () => {
    await assert.rejects(deriveKeyAndSalt(new Uint8Array(0), 1), RangeError);
    await assert.rejects(deriveKeyAndSalt(/** @type {any} */ ('secret'), 1), TypeError);
    await assert.rejects(deriveKeyAndSalt(fromHex(C3.baseKey), -1), RangeError);
  });

  test('the caller\'s base key is left as it was', async () => {
    const base = fromHex(C3.baseKey);
    await deriveKeyAndSalt(base, C3.kid);
    assert.equal(toHex(base), C3.baseKey);
  });
});

// ---- the context, as the transform worker uses it ------------------------------

/**
 * A sender and a receiver that share one base key under `kid`.
 * @param {number} [kid]
 */
async function pair(kid = 0x2a) {
  const baseKey = randomBytes(16);
  const sender = new SFrameContext();
  const receiver = new SFrameContext();
  await sender.setSendKey(kid, baseKey);
  await receiver.addReceiveKey(kid, baseKey);
  return { sender, receiver, baseKey, kid };
}

describe('round trips', () => {
  for (const prefixLength of [0, 3, 10]) {
    test(`a frame with a ${prefixLength}-byte clear prefix`, async () => {
      const { sender, receiver, kid } = await pair();
      const frame = randomBytes(1200);
      const sealed = await sender.encrypt(frame, prefixLength);
      const header = decodeHeader(sealed, prefixLength);
      assert.deepEqual(header, { kid, ctr: 0, length: 2 });
      assert.equal(sealed.length, frame.length + header.length + TAG_LENGTH);
      assert.equal(sealed.byteOffset, 0);
      assert.equal(sealed.buffer.byteLength, sealed.length, 'a buffer of its own, to hand to frame.data');
      assert.equal(toHex(sealed.subarray(0, prefixLength)), toHex(frame.subarray(0, prefixLength)), 'the prefix is in clear');
      const body = sealed.subarray(prefixLength + header.length, prefixLength + header.length + frame.length - prefixLength);
      assert.notEqual(toHex(body), toHex(frame.subarray(prefixLength)), 'the rest is not');
      const opened = await receiver.decrypt(sealed, prefixLength);
      assert.equal(toHex(opened), toHex(frame));
      assert.equal(opened.buffer.byteLength, opened.length);
    });
  }

  test('ArrayBuffers in, as frame.data is', async () => {
    const { sender, receiver } = await pair();
    const frame = randomBytes(300);
    const sealed = await sender.encrypt(frame.slice().buffer, 3);
    const opened = await receiver.decrypt(sealed.buffer, 3);
    assert.equal(toHex(opened), toHex(frame));
  });

  test('a frame that is all prefix, and an empty frame', async () => {
    const { sender, receiver } = await pair();
    for (const [length, prefix] of [[10, 10], [0, 0]]) {
      const frame = randomBytes(length);
      const sealed = await sender.encrypt(frame, prefix);
      assert.equal(sealed.length, length + 2 + TAG_LENGTH);
      assert.equal(toHex(await receiver.decrypt(sealed, prefix)), toHex(frame));
    }
  });

  test('the sender\'s frame is not changed', async () => {
    const { sender } = await pair();
    const frame = randomBytes(100);
    const copy = frame.slice();
    await sender.encrypt(frame, 10);
    assert.equal(toHex(frame), toHex(copy));
  });

  test('a prefix longer than the frame is refused', async () => {
    const { sender } = await pair();
    await assert.rejects(sender.encrypt(randomBytes(2), 3), RangeError);
    await assert.rejects(sender.encrypt(randomBytes(20), -1), RangeError);
  });
});

describe('tampering fails authentication', () => {
  /**
   * Encrypts a 200-byte frame with a 10-byte prefix, lets `change` alter
   * the result, and expects decryption to fail as `expected`.
   * @param {(sealed: Uint8Array, headerLength: number) => Uint8Array|void} change
   * @param {Function} [expected]
   */
  async function tampered(change, expected = SFrameAuthenticationError) {
    const { sender, receiver } = await pair(5);
    const sealed = await sender.encrypt(randomBytes(200), 10);
    assert.ok(await receiver.decrypt(sealed, 10), 'the untouched frame decrypts');
    const altered = change(sealed, decodeHeader(sealed, 10).length) || sealed;
    await assert.rejects(receiver.decrypt(altered, 10), expected);
  }

  test('a bit of the clear prefix', () => tampered((s) => void (s[4] ^= 0x01)));
  test('the first byte of the clear prefix', () => tampered((s) => void (s[0] ^= 0x80)));
  test('the header\'s CTR', () => tampered((s) => void (s[10] ^= 0x01))); // '50' (KID 5, CTR 0) becomes CTR 1
  test('a bit of the ciphertext', () => tampered((s, h) => void (s[10 + h + 50] ^= 0x10)));
  test('a bit of the tag', () => tampered((s) => void (s[s.length - 1] ^= 0x01)));
  test('the last byte cut off', () => tampered((s) => s.subarray(0, s.length - 1)));
  test('a byte appended', () => tampered((s) => Uint8Array.from([...s, 0])));
  test('all but the header cut off', () => tampered((s, h) => s.subarray(0, 10 + h)));

  test('the header\'s KID, to another key we hold', async () => {
    const baseKey = randomBytes(16);
    const sender = new SFrameContext();
    const receiver = new SFrameContext();
    await sender.setSendKey(5, baseKey);
    await receiver.addReceiveKey(5, baseKey);
    await receiver.addReceiveKey(6, baseKey);
    const sealed = await sender.encrypt(randomBytes(50), 3);
    sealed[3] = 0x60; // KID 6, CTR 0
    await assert.rejects(receiver.decrypt(sealed, 3), SFrameAuthenticationError);
  });

  test('the wrong base key', async () => {
    const sender = new SFrameContext();
    const receiver = new SFrameContext();
    await sender.setSendKey(9, randomBytes(16));
    await receiver.addReceiveKey(9, randomBytes(16));
    await assert.rejects(receiver.decrypt(await sender.encrypt(randomBytes(50), 0), 0), SFrameAuthenticationError);
  });

  test('the wrong clear prefix length', async () => {
    const { sender, receiver } = await pair(5);
    const sealed = await sender.encrypt(randomBytes(200), 10);
    await assert.rejects(receiver.decrypt(sealed, 3), SFrameError);
    await assert.rejects(receiver.decrypt(sealed, 0), SFrameError);
  });

  test('a frame too short for a header after its prefix', async () => {
    const { receiver } = await pair(5);
    await assert.rejects(receiver.decrypt(randomBytes(10), 10), SFrameHeaderError);
    await assert.rejects(receiver.decrypt(randomBytes(3), 10), SFrameHeaderError);
  });
});

describe('keys', () => {
  test('an unknown KID is its own error, carrying the KID', async () => {
    const { sender } = await pair(77);
    const sealed = await sender.encrypt(randomBytes(40), 3);
    const stranger = new SFrameContext();
    await assert.rejects(stranger.decrypt(sealed, 3), (e) => e instanceof SFrameUnknownKeyError && e.kid === 77);
  });

  test('a removed receive key is unknown again', async () => {
    const { sender, receiver, baseKey } = await pair(77);
    const sealed = await sender.encrypt(randomBytes(40), 3);
    assert.equal(receiver.removeReceiveKey(77), true);
    assert.equal(receiver.removeReceiveKey(77), false);
    await assert.rejects(receiver.decrypt(sealed, 3), SFrameUnknownKeyError);
    await receiver.addReceiveKey(77, baseKey);
    assert.ok(await receiver.decrypt(sealed, 3));
  });

  test('removing a key while it is derived wins', async () => {
    const { sender, baseKey } = await pair(77);
    const receiver = new SFrameContext();
    const adding = receiver.addReceiveKey(77, baseKey);
    receiver.removeReceiveKey(77);
    await adding;
    await assert.rejects(receiver.decrypt(await sender.encrypt(randomBytes(40), 3), 3), SFrameUnknownKeyError);
  });

  test('encrypting needs a send key', async () => {
    const context = new SFrameContext();
    assert.equal(context.hasSendKey, false);
    assert.equal(context.sendKid, null);
    await assert.rejects(context.encrypt(randomBytes(40), 3), SFrameNoSendKeyError);
  });

  test('a send key is used as soon as it is set, before it is derived', async () => {
    const baseKey = randomBytes(16);
    const sender = new SFrameContext();
    const setting = sender.setSendKey(3, baseKey);
    assert.equal(sender.hasSendKey, true);
    const sealed = await sender.encrypt(randomBytes(40), 0);
    await setting;
    const receiver = new SFrameContext();
    await receiver.addReceiveKey(3, baseKey);
    assert.ok(await receiver.decrypt(sealed, 0));
  });

  test('bad KIDs are refused when keys are set', () => {
    const context = new SFrameContext();
    assert.throws(() => context.setSendKey(-1, randomBytes(16)), RangeError);
    assert.throws(() => context.addReceiveKey(2 ** 53, randomBytes(16)), RangeError);
  });

  test('a send key that cannot be derived fails encryption, not silently', async () => {
    const context = new SFrameContext();
    await assert.rejects(context.setSendKey(1, new Uint8Array(0)), RangeError);
    await assert.rejects(context.encrypt(randomBytes(40), 0), RangeError);
  });
});

describe('counters', () => {
  test('each frame gets the next CTR, so the same frame encrypts differently', async () => {
    const { sender, receiver } = await pair(4);
    const frame = randomBytes(100);
    const first = await sender.encrypt(frame, 3);
    const second = await sender.encrypt(frame, 3);
    assert.equal(decodeHeader(first, 3).ctr, 0);
    assert.equal(decodeHeader(second, 3).ctr, 1);
    assert.notEqual(toHex(first.subarray(4)), toHex(second.subarray(4)));
    assert.equal(toHex(await receiver.decrypt(first, 3)), toHex(frame));
    assert.equal(toHex(await receiver.decrypt(second, 3)), toHex(frame));
  });

  test('the header grows as the CTR does', async () => {
    const { sender } = await pair(4);
    const lengths = [];
    for (let i = 0; i < 10; i++) lengths.push(decodeHeader(await sender.encrypt(randomBytes(8), 0), 0).length);
    assert.deepEqual(lengths, [1, 1, 1, 1, 1, 1, 1, 1, 2, 2]);
  });

  test('overlapping encryptions still get distinct CTRs', async () => {
    const { sender, receiver } = await pair(4);
    const frames = Array.from({ length: 20 }, () => randomBytes(500));
    const sealed = await Promise.all(frames.map((f) => sender.encrypt(f, 10)));
    const ctrs = sealed.map((s) => decodeHeader(s, 10).ctr);
    assert.deepEqual(ctrs.slice().sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
    for (let i = 0; i < frames.length; i++) assert.equal(toHex(await receiver.decrypt(sealed[i], 10)), toHex(frames[i]));
  });

  test('setting a KID again does not restart its CTR', async () => {
    const baseKey = randomBytes(16);
    const sender = new SFrameContext();
    await sender.setSendKey(4, baseKey);
    await sender.encrypt(randomBytes(8), 0);
    await sender.encrypt(randomBytes(8), 0);
    await sender.setSendKey(4, baseKey);
    assert.equal(decodeHeader(await sender.encrypt(randomBytes(8), 0), 0).ctr, 2);
    await sender.setSendKey(12, randomBytes(16));
    assert.deepEqual(decodeHeader(await sender.encrypt(randomBytes(8), 0), 0), { kid: 12, ctr: 0, length: 2 });
    await sender.setSendKey(4, baseKey);
    assert.equal(decodeHeader(await sender.encrypt(randomBytes(8), 0), 0).ctr, 3);
  });
});

// ---- the transform worker, driven in Node ----------------------------------------
//
// e2ee-worker.js only touches its global scope through onrtctransform,
// onmessage and postMessage, so this process can play the worker's global:
// it imports the module, then hands it fake transformers whose streams
// carry fake encoded frames ({type, data} like RTCEncodedVideoFrame).
// One module instance means one SFrameContext, so it both sends and
// receives here, under the same key.

describe('e2ee-worker.js', () => {
  /** @type {any} */
  const scope = globalThis;
  /** @type {any[]} */
  const posted = [];
  const KID = 0x0a0b0c0d0e0f; // 48 bits, as e2ee.js makes them
  const baseKey = randomBytes(16);

  before(async () => {
    scope.postMessage = (/** @type {any} */ message) => posted.push(message);
    await import('../../web/sdk/e2ee-worker.js');
    assert.equal(typeof scope.onrtctransform, 'function');
    assert.equal(typeof scope.onmessage, 'function');
  });

  /** @param {any} data */
  const send = (data) => scope.onmessage({ data });

  /** @returns {Promise<any>} the worker's next reply of that type, after `data` */
  async function ask(/** @type {any} */ data, /** @type {string} */ type) {
    const from = posted.length;
    send(data);
    for (let i = 0; i < 100; i++) {
      const reply = posted.slice(from).find((m) => m.type === type);
      if (reply) return reply;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`no ${type} reply`);
  }

  /**
   * Runs frames through a transform the way Chromium would.
   * @param {any} options
   * @param {any[]} frames
   * @returns {Promise<any[]>} what the transform passed on
   */
  function transform(options, frames) {
    /** @type {any[]} */
    const out = [];
    return new Promise((resolve, reject) => {
      const readable = new ReadableStream({
        start(controller) {
          for (const frame of frames) controller.enqueue(frame);
          controller.close();
        },
      });
      const writable = new WritableStream({
        write: (frame) => void out.push(frame),
        close: () => resolve(out),
        abort: reject,
      });
      scope.onrtctransform({ transformer: { readable, writable, options } });
    });
  }

  /** @param {'key'|'delta'} type @param {number} length */
  const videoFrame = (type, length) => ({ type, data: randomBytes(length).buffer });
  /** @param {number} length */
  const audioFrame = (length) => ({ data: randomBytes(length).buffer });
  /** @param {ArrayBuffer} data */
  const hexOf = (data) => toHex(new Uint8Array(data));

  test('before a send key, nothing is sent: frames are dropped', async () => {
    const out = await transform({ side: 'send', kind: 'video' }, [videoFrame('key', 500), videoFrame('delta', 100)]);
    assert.equal(out.length, 0);
    const audio = await transform({ side: 'send', kind: 'audio' }, [audioFrame(80)]);
    assert.equal(audio.length, 0);
    const stats = await ask({ type: 'stats' }, 'stats');
    assert.deepEqual(stats, { type: 'stats', encrypted: 0, decrypted: 0, dropped: 3, failed: 0 });
  });

  /** @type {{type?: string, plain: string, sealed: ArrayBuffer}[]} */
  const sent = [];

  test('with keys, video keeps 10 or 3 bytes in clear and audio none; order is kept', async () => {
    send({ type: 'setSendKey', kid: KID, key: baseKey.slice().buffer });
    send({ type: 'addReceiveKey', kid: KID, key: baseKey.slice().buffer });
    const frames = [videoFrame('key', 3000), ...Array.from({ length: 30 }, (_, i) => videoFrame('delta', 200 + i))];
    const plain = frames.map((f) => hexOf(f.data));
    const out = await transform({ side: 'send', kind: 'video' }, frames);
    assert.equal(out.length, frames.length);
    out.forEach((frame, i) => {
      assert.equal(frame, frames[i], 'the same frame objects, in order');
      const prefix = frame.type === 'key' ? 10 : 3;
      const bytes = new Uint8Array(frame.data);
      assert.equal(toHex(bytes.subarray(0, prefix)), plain[i].slice(0, prefix * 2));
      // Config byte, 6 bytes of KID, and a CTR byte once it passes 7.
      const headerLength = i < 8 ? 7 : 8;
      assert.deepEqual(decodeHeader(bytes, prefix), { kid: KID, ctr: i, length: headerLength });
      assert.equal(bytes.length, plain[i].length / 2 + headerLength + TAG_LENGTH);
      assert.ok(!toHex(bytes).includes(plain[i].slice(prefix * 2, prefix * 2 + 32)), 'no plaintext past the prefix');
      sent.push({ type: frame.type, plain: plain[i], sealed: frame.data });
    });
    const audio = audioFrame(120);
    const audioPlain = hexOf(audio.data);
    const [sealedAudio] = await transform({ side: 'send', kind: 'audio' }, [audio]);
    // Audio shares the counter with video: no nonce is used twice.
    assert.deepEqual(decodeHeader(new Uint8Array(sealedAudio.data), 0), { kid: KID, ctr: frames.length, length: 8 });
    sent.push({ plain: audioPlain, sealed: sealedAudio.data });
  });

  test('the receive side restores every frame, in order', async () => {
    assert.equal(sent.length, 32, 'the frames sent above');
    const video = sent.filter((s) => s.type);
    const frames = video.map((s) => ({ type: s.type, data: s.sealed.slice(0) }));
    const out = await transform({ side: 'receive', kind: 'video' }, frames);
    assert.deepEqual(out.map((f) => hexOf(f.data)), video.map((s) => s.plain));
    const audio = sent.filter((s) => !s.type);
    const heard = await transform({ side: 'receive', kind: 'audio' }, audio.map((s) => ({ data: s.sealed.slice(0) })));
    assert.deepEqual(heard.map((f) => hexOf(f.data)), audio.map((s) => s.plain));
  });

  test('forged, damaged and unknown-key frames are not passed on, and are counted', async () => {
    const before = await ask({ type: 'stats' }, 'stats');
    const good = sent[1];
    assert.equal(good.type, 'delta');
    const flipped = new Uint8Array(good.sealed.slice(0));
    flipped[flipped.length - 5] ^= 1;
    const prefixChanged = new Uint8Array(good.sealed.slice(0));
    prefixChanged[1] ^= 1;
    const otherKid = new SFrameContext();
    await otherKid.setSendKey(99, randomBytes(16));
    const stranger = await otherKid.encrypt(randomBytes(100), 3);
    const frames = [
      { type: 'delta', data: good.sealed.slice(0) },
      { type: 'delta', data: flipped.buffer },
      { type: 'delta', data: prefixChanged.buffer },
      { type: 'delta', data: stranger.buffer },
      { type: 'delta', data: new Uint8Array(2).buffer },
      { type: 'delta', data: good.sealed.slice(0) },
    ];
    const out = await transform({ side: 'receive', kind: 'video' }, frames);
    assert.deepEqual(out.map((f) => hexOf(f.data)), [good.plain, good.plain]);
    const after = await ask({ type: 'stats' }, 'stats');
    assert.equal(after.decrypted - before.decrypted, 2);
    assert.equal(after.dropped - before.dropped, 1, 'the unknown KID');
    assert.equal(after.failed - before.failed, 3, 'the tag, the prefix, the runt');
  });

  test('recordPlaintext keeps the next video frames as they were before encryption', async () => {
    send({ type: 'recordPlaintext', count: 2 });
    const empty = await ask({ type: 'plaintext' }, 'plaintext');
    assert.deepEqual(empty.frames, []);
    const frames = [videoFrame('key', 400), videoFrame('delta', 90), videoFrame('delta', 91)];
    const plain = frames.map((f) => hexOf(f.data));
    await transform({ side: 'send', kind: 'audio' }, [audioFrame(50)]);
    await transform({ side: 'send', kind: 'video' }, frames);
    const reply = await ask({ type: 'plaintext' }, 'plaintext');
    assert.deepEqual(reply.frames.map(hexOf), plain.slice(0, 2));
    assert.deepEqual(reply.clearPrefixLengths, [10, 3]);
    // Asking again (e2ee.js polls) gives the same frames.
    const again = await ask({ type: 'plaintext' }, 'plaintext');
    assert.deepEqual(again.frames.map(hexOf), plain.slice(0, 2));
  });

  test('removeReceiveKey stops decryption', async () => {
    send({ type: 'removeReceiveKey', kid: KID });
    const before = await ask({ type: 'stats' }, 'stats');
    const out = await transform({ side: 'receive', kind: 'video' }, [{ type: 'delta', data: sent[2].sealed.slice(0) }]);
    assert.equal(out.length, 0);
    const after = await ask({ type: 'stats' }, 'stats');
    assert.equal(after.dropped - before.dropped, 1);
  });

  test('bad key messages are answered with an error', async () => {
    const reply = await ask({ type: 'setSendKey', kid: -1, key: randomBytes(16).buffer }, 'error');
    assert.equal(reply.request, 'setSendKey');
    const noKey = await ask({ type: 'addReceiveKey', kid: 1, key: 'secret' }, 'error');
    assert.equal(noKey.request, 'addReceiveKey');
  });

  test('a transform without side and kind passes nothing on', async () => {
    const from = posted.length;
    // Its readable is never read, so this promise never settles: not awaited.
    transform({ kind: 'video' }, [videoFrame('key', 100)]);
    const error = posted.slice(from).find((m) => m.type === 'error');
    assert.equal(error && error.request, 'rtctransform');
  });
});
