// `Video.Logger`: twilio-video exposes the loglevel library here, and apps
// use its API to quiet or redirect the SDK's log (`getLogger('twilio-video')`,
// `setLevel`, and the `methodFactory` plugin hook that log-shipping code
// overrides). This is the same API, written here rather than imported
// because loglevel ships as a UMD script and this SDK is plain ES modules
// served without a bundler. Levels are saved in localStorage as loglevel
// does (key `loglevel:<name>`), so a level set on one page load holds on
// the next.
//
// The SDK logs through `sdkLog` (the 'twilio-video' logger), default level
// 'warn', as twilio-video's.

/** @typedef {'trace'|'debug'|'info'|'warn'|'error'|'silent'} LevelName */
/** @typedef {(...message: any[]) => void} LogMethod */
/** @typedef {(methodName: string, level: number, loggerName: string|symbol) => LogMethod} MethodFactory */

const LEVELS = Object.freeze({ TRACE: 0, DEBUG: 1, INFO: 2, WARN: 3, ERROR: 4, SILENT: 5 });
const METHODS = /** @type {const} */ (['trace', 'debug', 'info', 'warn', 'error']);
const noop = () => {};

/**
 * @param {LevelName|number|string} level
 * @returns {number}
 */
function levelNumber(level) {
  const n = typeof level === 'string' ? /** @type {Record<string, number>} */ (LEVELS)[level.toUpperCase()] : level;
  if (typeof n !== 'number' || n < LEVELS.TRACE || n > LEVELS.SILENT) throw new TypeError(`log.setLevel() called with invalid level: ${String(level)}`);
  return n;
}

/** @type {MethodFactory} */
function defaultMethodFactory(methodName) {
  const c = /** @type {any} */ (console);
  const method = methodName === 'debug' ? 'log' : methodName;
  return typeof c[method] === 'function' ? c[method].bind(console) : c.log.bind(console);
}

/** @param {string|symbol} name */
function storageKey(name) {
  return typeof name === 'string' ? `loglevel:${name}` : 'loglevel';
}

/** @param {string|symbol} name @returns {number|undefined} */
function storedLevel(name) {
  try {
    const value = window.localStorage.getItem(storageKey(name));
    const n = value === null ? undefined : /** @type {Record<string, number>} */ (LEVELS)[value.toUpperCase()];
    return typeof n === 'number' ? n : undefined;
  } catch {
    return undefined;
  }
}

export class Log {
  /**
   * @param {string|symbol} name
   * @param {number} defaultLevel
   */
  constructor(name, defaultLevel) {
    this.name = name;
    this.levels = LEVELS;
    /** @type {MethodFactory} replace it, then call setLevel(getLevel()), to route messages elsewhere */
    this.methodFactory = defaultMethodFactory;
    this._default = defaultLevel;
    this._level = storedLevel(name) ?? defaultLevel;
    /** @type {LogMethod} */ this.trace = noop;
    /** @type {LogMethod} */ this.debug = noop;
    /** @type {LogMethod} */ this.info = noop;
    /** @type {LogMethod} */ this.warn = noop;
    /** @type {LogMethod} */ this.error = noop;
    this._rebuild();
  }

  /** @returns {number} */
  getLevel() {
    return this._level;
  }

  /**
   * @param {LevelName|number} level
   * @param {boolean} [persist] saved in localStorage (default true)
   */
  setLevel(level, persist = true) {
    this._level = levelNumber(level);
    if (persist) {
      try {
        window.localStorage.setItem(storageKey(this.name), METHODS[this._level]?.toUpperCase() || 'SILENT');
      } catch {
        // Storage refused (private mode): the level holds for this page only.
      }
    }
    this._rebuild();
  }

  /** @param {LevelName|number} level used when nothing was saved */
  setDefaultLevel(level) {
    this._default = levelNumber(level);
    if (storedLevel(this.name) === undefined) this.setLevel(this._default, false);
  }

  resetLevel() {
    try {
      window.localStorage.removeItem(storageKey(this.name));
    } catch {
      // Nothing saved, nothing to remove.
    }
    this.setLevel(this._default, false);
  }

  /** @param {boolean} [persist] */
  enableAll(persist) {
    this.setLevel(LEVELS.TRACE, persist);
  }

  /** @param {boolean} [persist] */
  disableAll(persist) {
    this.setLevel(LEVELS.SILENT, persist);
  }

  _rebuild() {
    METHODS.forEach((method, level) => {
      this[method] = level >= this._level ? this.methodFactory(method, level, this.name) : noop;
    });
    // loglevel's alias for debug.
    /** @type {LogMethod} */ (/** @type {any} */ (this).log) = this.debug;
  }
}

/** @type {Map<string|symbol, Log>} */
const loggers = new Map();
const root = new Log(Symbol('root'), LEVELS.WARN);

/** The module object apps see as `Video.Logger`: the root logger plus getLogger. */
export const Logger = Object.assign(root, {
  /**
   * @param {string} name
   * @returns {Log}
   */
  getLogger(name) {
    if ((typeof name !== 'string' && typeof name !== 'symbol') || name === '') throw new TypeError('You must supply a name when creating a logger.');
    let log = loggers.get(name);
    if (!log) {
      log = new Log(name, root.getLevel());
      log.methodFactory = root.methodFactory;
      log._rebuild();
      loggers.set(name, log);
    }
    return log;
  },
  /** @returns {Record<string, Log>} */
  getLoggers() {
    return Object.fromEntries([...loggers].filter(([k]) => typeof k === 'string'));
  },
  noConflict() {
    return Logger;
  },
});

/** The SDK's own log, twilio-video's logger name. */
export const sdkLog = Logger.getLogger('twilio-video');
