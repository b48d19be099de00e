// What local and remote tracks share: a MediaStreamTrack wrapper that can be
// attached to <audio>/<video> elements the way twilio-video does it.
//
// twilio-video's attach() semantics, which applications depend on:
//   attach()            creates an element for the kind and returns it
//   attach(el|selector) attaches to that element and returns it; a container
//                       (say a <div>) gets a new element appended, returned
//                       (twilio-video would set srcObject on the <div> and
//                       show nothing)
//   detach()            detaches from every element, returns them (array)
//   detach(el|selector) detaches from that element and returns it
// An element may show one audio and one video track at once (an app may
// attach both of a participant's tracks to one <video>), so attaching
// replaces only the element's track of the same kind.

import { EventEmitter } from './events.js';

/** @typedef {'audio'|'video'} Kind */

export class Track extends EventEmitter {
  /**
   * @param {MediaStreamTrack} mediaStreamTrack
   * @param {string} name
   */
  constructor(mediaStreamTrack, name) {
    super();
    /** @type {Kind} */
    this.kind = /** @type {Kind} */ (mediaStreamTrack.kind);
    /** @type {string} */
    this.name = name;
    /** @type {MediaStreamTrack} */
    this.mediaStreamTrack = mediaStreamTrack;
    /** @type {Set<HTMLMediaElement>} */
    this._attachments = new Set();
  }

  /** @returns {HTMLMediaElement[]} */
  get _attachedElements() {
    return [...this._attachments];
  }

  /**
   * @overload
   * @returns {HTMLMediaElement}
   */
  /**
   * @overload
   * @param {HTMLMediaElement|string} element
   * @returns {HTMLMediaElement}
   */
  /**
   * @param {HTMLMediaElement|HTMLElement|string} [element]
   * @returns {HTMLMediaElement}
   */
  attach(element) {
    let el;
    if (element === undefined || element === null) el = this._createElement();
    else {
      const found = findElement(element);
      if (found instanceof HTMLMediaElement) el = found;
      else {
        el = this._createElement();
        found.appendChild(el);
      }
    }
    this._attachTo(el);
    this._attachments.add(el);
    return el;
  }

  /**
   * @overload
   * @returns {HTMLMediaElement[]}
   */
  /**
   * @overload
   * @param {HTMLMediaElement|HTMLElement|string} element
   * @returns {HTMLMediaElement}
   */
  /**
   * @param {HTMLMediaElement|HTMLElement|string} [element]
   * @returns {HTMLMediaElement|HTMLMediaElement[]}
   */
  detach(element) {
    if (element === undefined || element === null) {
      const all = [...this._attachments];
      for (const el of all) this._detachFrom(el);
      this._attachments.clear();
      return all;
    }
    const found = findElement(element);
    // A container: the element attach() appended to it.
    const el = found instanceof HTMLMediaElement
      ? found
      : [...this._attachments].find((a) => a.parentElement === found);
    if (!el) return /** @type {any} */ (found);
    this._detachFrom(el);
    this._attachments.delete(el);
    return el;
  }

  /** Points every attached element at the current mediaStreamTrack (after a swap). */
  _reattach() {
    for (const el of this._attachments) this._attachTo(el);
  }

  /** @returns {HTMLMediaElement} */
  _createElement() {
    if (this.kind === 'audio') return document.createElement('audio');
    const el = document.createElement('video');
    // A video element must be muted to autoplay; sound comes from the audio track's own element.
    el.muted = true;
    return el;
  }

  /** @param {HTMLMediaElement} el */
  _attachTo(el) {
    const current = el.srcObject instanceof MediaStream ? el.srcObject.getTracks() : [];
    const others = current.filter((t) => t.kind !== this.kind);
    const stream = new MediaStream([...others, this.mediaStreamTrack]);
    el.srcObject = stream;
    el.autoplay = true;
    // iOS would otherwise take the video fullscreen.
    if (el instanceof HTMLVideoElement) el.playsInline = true;
    // Autoplay policy may refuse sound until the user interacts; the app can retry el.play().
    const played = el.play();
    if (played) played.catch(() => {});
  }

  /** @param {HTMLMediaElement} el */
  _detachFrom(el) {
    if (!(el.srcObject instanceof MediaStream)) return;
    const rest = el.srcObject.getTracks().filter((t) => t !== this.mediaStreamTrack);
    el.srcObject = rest.length ? new MediaStream(rest) : null;
  }
}

/**
 * @param {HTMLElement|string} element
 * @returns {HTMLElement}
 */
function findElement(element) {
  if (typeof element !== 'string') {
    if (element instanceof HTMLElement) return element;
    throw new TypeError('attach/detach take an element or a CSS selector');
  }
  const found = document.querySelector(element);
  // twilio-video's words for this.
  if (!(found instanceof HTMLElement)) throw new Error(`Selector matched no element: ${element}`);
  return found;
}
