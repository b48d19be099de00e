// A repair for the server's answers. RFC 3264 (6.1) lets an answer only
// narrow each m-line's direction as seen from the offerer: an `inactive`
// offer must be answered `inactive`, a `sendonly` one `recvonly` or
// `inactive`, and so on. Confide's SFU sometimes answers an m-line this
// client offered `inactive` (an unpublished track's m-line, kept for reuse)
// with `recvonly`, after a server offer on that m-line was answered
// `inactive`. Chrome then refuses the whole answer ("Incompatible send
// direction") and negotiation stops. Narrowing the direction to what was
// offered changes nothing on the wire — this client sends nothing there —
// and keeps the session going.

/** @typedef {'sendrecv'|'sendonly'|'recvonly'|'inactive'} Direction */

const DIRECTION = /^a=(sendrecv|sendonly|recvonly|inactive)$/;

/**
 * @param {string} sdp
 * @returns {{head: string[], sections: string[][]}} lines before the first m= line, then each m-section's lines
 */
function split(sdp) {
  const lines = sdp.split('\r\n');
  /** @type {string[]} */
  const head = [];
  /** @type {string[][]} */
  const sections = [];
  for (const line of lines) {
    if (line.startsWith('m=')) sections.push([line]);
    else if (sections.length) sections[sections.length - 1].push(line);
    else head.push(line);
  }
  return { head, sections };
}

/**
 * @param {string[]} section
 * @returns {string|null}
 */
function midOf(section) {
  const line = section.find((l) => l.startsWith('a=mid:'));
  return line ? line.slice('a=mid:'.length) : null;
}

/**
 * @param {string[]} section
 * @returns {Direction}
 */
function directionOf(section) {
  for (const line of section) {
    const m = DIRECTION.exec(line);
    if (m) return /** @type {Direction} */ (m[1]);
  }
  return 'sendrecv';
}

/**
 * @param {boolean} send
 * @param {boolean} recv
 * @returns {Direction}
 */
function direction(send, recv) {
  if (send && recv) return 'sendrecv';
  if (send) return 'sendonly';
  if (recv) return 'recvonly';
  return 'inactive';
}

/**
 * Returns `answer` with each m-line's direction narrowed to what `offer`
 * allows (the answerer may send only where the offerer receives, and the
 * reverse). An answer that is already valid comes back unchanged.
 * @param {string} offer the local offer the answer replies to
 * @param {string} answer
 * @returns {string}
 */
export function narrowAnswerDirections(offer, answer) {
  /** @type {Map<string, Direction>} */
  const offered = new Map();
  for (const section of split(offer).sections) {
    const mid = midOf(section);
    if (mid !== null) offered.set(mid, directionOf(section));
  }
  const { head, sections } = split(answer);
  let changed = false;
  for (const section of sections) {
    const mid = midOf(section);
    const o = mid === null ? undefined : offered.get(mid);
    if (!o) continue;
    const a = directionOf(section);
    const offerSends = o === 'sendrecv' || o === 'sendonly';
    const offerRecvs = o === 'sendrecv' || o === 'recvonly';
    const allowed = direction((a === 'sendrecv' || a === 'sendonly') && offerRecvs, (a === 'sendrecv' || a === 'recvonly') && offerSends);
    if (allowed === a) continue;
    changed = true;
    const i = section.findIndex((l) => DIRECTION.test(l));
    if (i >= 0) section[i] = `a=${allowed}`;
    else section.splice(section.findIndex((l) => l.startsWith('a=mid:')) + 1, 0, `a=${allowed}`);
  }
  if (!changed) return answer;
  return [...head, ...sections.flat()].join('\r\n');
}
