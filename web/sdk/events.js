// The event API twilio-video's objects inherit from Node's EventEmitter:
// on / once / off / removeListener / removeAllListeners / emit /
// listenerCount. Applications call these directly, so they must exist with
// those names; the browser's EventTarget has a different shape.
//
// A listener that throws must not break the SDK's own bookkeeping (an event
// is often emitted halfway through updating state), so errors are reported
// asynchronously instead of propagating into the emitter.

/** @typedef {(...args: any[]) => void} Listener */

export class EventEmitter {
  constructor() {
    /** @type {Map<string, Listener[]>} */
    this._listeners = new Map();
  }

  /**
   * @param {string} event
   * @param {Listener} listener
   * @returns {this}
   */
  on(event, listener) {
    const list = this._listeners.get(event) || [];
    this._listeners.set(event, [...list, listener]);
    return this;
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
    /** @type {Listener & {listener?: Listener}} */
    const wrapper = (...args) => {
      this.off(event, wrapper);
      listener.apply(this, args);
    };
    wrapper.listener = listener;
    return this.on(event, wrapper);
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
