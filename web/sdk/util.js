// Small helpers shared by the other modules. The one that matters is
// `withTimeout`: every wait on the network or on the browser's WebRTC stack
// goes through it, so no SDK promise can hang forever.

/**
 * Rejects with `makeError()` if `promise` has not settled within `ms`.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {() => Error} makeError
 * @returns {Promise<T>}
 */
export function withTimeout(promise, ms, makeError) {
  /** @type {ReturnType<typeof setTimeout>|undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(makeError()), Math.max(0, ms));
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, timeout])).finally(() => clearTimeout(timer));
}

/** @param {number} ms @returns {Promise<void>} */
export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/**
 * A client-side identifier shaped like Twilio's SIDs (two letters and 32 hex
 * digits), for things the server never names to this client.
 * @param {string} prefix
 */
export function localSid(prefix) {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return prefix + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * A promise with its resolve/reject functions, for events that settle a wait.
 * @template T
 * @returns {{promise: Promise<T>, resolve: (value: T) => void, reject: (error: any) => void}}
 */
export function deferred() {
  /** @type {(value: T) => void} */
  let resolve;
  /** @type {(error: any) => void} */
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
