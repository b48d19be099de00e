// The camera and microphone the user picked on the pre-call check page,
// remembered in this browser for the video page.

const KEY = 'confide.devices';

/** @returns {{audioinput?: string, videoinput?: string}} */
export function chosenDevices() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || '{}');
  } catch {
    return {};
  }
}

/** @param {'audioinput'|'videoinput'} kind @param {string} deviceId */
export function chooseDevice(kind, deviceId) {
  localStorage.setItem(KEY, JSON.stringify({ ...chosenDevices(), [kind]: deviceId }));
}

/** getUserMedia-style constraints for the chosen devices. */
export function constraints() {
  const chosen = chosenDevices();
  const pick = (id) => (id ? { deviceId: { ideal: id } } : {});
  return {
    audio: { ...pick(chosen.audioinput) },
    video: { width: { ideal: 1280 }, height: { ideal: 720 }, ...pick(chosen.videoinput) },
  };
}
