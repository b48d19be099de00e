// The event API twilio-video's objects inherit from Node's EventEmitter
// (on / once / off / prependListener / listeners / eventNames /
// setMaxListeners / …). Applications call these directly, so they must
// exist with those names; the browser's EventTarget has a different shape.
// Like Node's, an emitter warns once per event when it has more listeners
// than its maximum (10 unless setMaxListeners says otherwise): a leak hint,
// never an error.
//
// A listener that throws must not break the SDK's own bookkeeping (an event
// is often emitted halfway through updating state), so errors are reported
// asynchronously instead of propagating into the emitter.

import { sdkLog } from './logger.js';

/** @typedef {(...args: any[]) => void} Listener */

/** Node's default. */
const DEFAULT_MAX_LISTENERS = 10;

export class EventEmitter {
  constructor() {
    /** @type {Map<string, Listener[]>} */
    this._listeners = new Map();
    this._maxListeners = DEFAULT_MAX_LISTENERS;
    /** @type {Set<string>} events already warned about */
    this._warned = new Set();
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {this}
   */
  on(event, listener) {
    return this._add(event, listener, false);
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {this}
   */
  prependListener(event, listener) {
    return this._add(event, listener, true);
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {this}
   */
  prependOnceListener(event, listener) {
    return this._add(event, this._onceWrapper(event, listener), true);
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @param {boolean} first
   * @returns {this}
   */
  _add(event, listener, first) {
    if (typeof listener !== 'function') throw new TypeError(`the listener for ${JSON.stringify(event)} must be a function`);
    const list = this._listeners.get(event) || [];
    this._listeners.set(event, first ? [listener, ...list] : [...list, listener]);
    const max = this._maxListeners;
    if (max > 0 && list.length + 1 > max && !this._warned.has(event)) {
      this._warned.add(event);
      sdkLog.warn(`possible listener leak: ${list.length + 1} ${JSON.stringify(event)} listeners (max ${max}); raise it with setMaxListeners()`);
    }
    return this;
  }

  /**
   * @param {number} n listeners per event before a warning; 0 for no limit
   * @returns {this}
   */
  setMaxListeners(n) {
    if (typeof n !== 'number' || n < 0 || Number.isNaN(n)) throw new RangeError(`setMaxListeners takes a non-negative number, not ${String(n)}`);
    this._maxListeners = n;
    return this;
  }

  /** @returns {number} */
  getMaxListeners() {
    return this._maxListeners;
  }

  /**
   * The listeners of `event`, as registered (a once() listener as the app gave it).
   * @param {string} event
   * @returns {Listener[]}
   */
  listeners(event) {
    return (this._listeners.get(event) || []).map((l) => /** @type {any} */ (l).listener || l);
  }

  /**
   * The listeners of `event`, once() wrappers included.
   * @param {string} event
   * @returns {Listener[]}
   */
  rawListeners(event) {
    return [...(this._listeners.get(event) || [])];
  }

  /** @returns {string[]} the events that have listeners */
  eventNames() {
    return [...this._listeners.keys()];
  }

  /** @param {string} event @param {Listener} listener @returns {this} */
  addListener(event, listener) {
    return this.on(event, listener);
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {this}
   */
  once(event, listener) {
    return this._add(event, this._onceWrapper(event, listener), false);
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {Listener}
   */
  _onceWrapper(event, listener) {
    if (typeof listener !== 'function') throw new TypeError(`the listener for ${JSON.stringify(event)} must be a function`);
    /** @type {Listener & {listener?: Listener}} */
    const wrapper = (...args) => {
      this.off(event, wrapper);
      listener.apply(this, args);
    };
    wrapper.listener = listener;
    return wrapper;
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {this}
   */
  off(event, listener) {
    const list = this._listeners.get(event);
    if (!list) return this;
    const i = list.findIndex((l) => l === listener || /** @type {any} */ (l).listener === listener);
    if (i >= 0) {
      const rest = list.slice(0, i).concat(list.slice(i + 1));
      if (rest.length) this._listeners.set(event, rest);
      else this._listeners.delete(event);
    }
    return this;
  }

  /** @param {string} event @param {Listener} listener @returns {this} */
  removeListener(event, listener) {
    return this.off(event, listener);
  }

  /** @param {string} [event] @returns {this} */
  removeAllListeners(event) {
    if (event === undefined) this._listeners.clear();
    else this._listeners.delete(event);
    return this;
  }

  /** @param {string} event @returns {number} */
  listenerCount(event) {
    return (this._listeners.get(event) || []).length;
  }

  /**
   * @param {string} event
   * @param {...any} args
   * @returns {boolean} whether anyone was listening
   */
  emit(event, ...args) {
    const list = this._listeners.get(event);
    if (!list) return false;
    // Iterate over a snapshot: listeners may add or remove listeners.
    for (const listener of list) {
      try {
        listener.apply(this, args);
      } catch (err) {
        setTimeout(() => {
          throw err;
        });
      }
    }
    return true;
  }
}
