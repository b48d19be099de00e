// Loads the SDK both ways an application may import it and exposes it for
// tests/browser/sdk.test.mjs (a file, not an inline script: the server's
// content security policy allows scripts from this origin only).
import Video from './index.js';
import * as VideoNamespace from './index.js';

const page = /** @type {any} */ (window);
page.Video = Video;
page.VideoNamespace = VideoNamespace;
page.sdkLoaded = true;
