// Builds Twilio's reference app, twilio-video-app-react (upstream/, copied
// unchanged from GitHub; see upstream/UPSTREAM.md), with its `twilio-video`
// import resolved to Confide's SDK (web/sdk/index.js): a package alias at
// build time, not an edit to the app.
//
//   node build.mjs <out-dir>
//
// The app's own build is create-react-app's webpack (react-scripts, a few
// hundred megabytes of tooling and its test runners); esbuild compiles the
// same TypeScript/JSX sources in a couple of seconds, and the result is what
// react-scripts would give the browser: one script, one stylesheet, the
// images, and public/index.html with %PUBLIC_URL% filled in. What
// react-scripts sets at build time is set here the same way:
// `process.env.NODE_ENV`, `PUBLIC_URL` and the app's `REACT_APP_*` settings
// (passcode sign-in, as `twilio rtc:apps:video:deploy` builds it; chat off,
// because chat is Twilio Conversations, a separate Twilio service Confide
// does not provide). The app's `postinstall` step (the virtual-background
// assets of @twilio/video-processors into public/virtualbackground) is
// repeated here.

import * as esbuild from 'esbuild';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const upstream = join(here, 'upstream');
const sdk = resolve(here, '../../web/sdk/index.js');

/** What react-scripts would put in `process.env` for this build. */
const ENV = {
  NODE_ENV: 'production',
  PUBLIC_URL: '',
  REACT_APP_SET_AUTH: 'passcode',
  REACT_APP_DISABLE_TWILIO_CONVERSATIONS: 'true',
};

export async function build(out) {
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const define = { 'process.env': JSON.stringify(ENV) };
  for (const [key, value] of Object.entries(ENV)) define[`process.env.${key}`] = JSON.stringify(value);
  const result = await esbuild.build({
    entryPoints: [join(upstream, 'src/index.tsx')],
    bundle: true,
    outdir: out,
    entryNames: 'static/js/[name]-[hash]',
    assetNames: 'static/media/[name]-[hash]',
    publicPath: '/',
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: true,
    jsx: 'automatic',
    loader: { '.jpg': 'file', '.png': 'file', '.svg': 'file', '.mp3': 'file', '.wav': 'file' },
    alias: { 'twilio-video': sdk },
    define,
    metafile: true,
    logLevel: 'warning',
  });
  const outputs = Object.keys(result.metafile.outputs).map((file) => '/' + relative(out, file));
  const script = outputs.find((f) => f.endsWith('.js'));
  const stylesheet = outputs.find((f) => f.endsWith('.css'));
  let html = (await readFile(join(upstream, 'public/index.html'), 'utf8')).replaceAll('%PUBLIC_URL%', ENV.PUBLIC_URL);
  if (stylesheet) html = html.replace('</head>', `  <link rel="stylesheet" href="${stylesheet}" />\n  </head>`);
  html = html.replace('</body>', `  <script type="module" src="${script}"></script>\n  </body>`);
  await cp(join(upstream, 'public'), out, { recursive: true, filter: (f) => !f.endsWith('index.html') });
  await writeFile(join(out, 'index.html'), html);
  await cp(join(here, 'node_modules/@twilio/video-processors/dist/build'), join(out, 'virtualbackground'), { recursive: true });
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = process.argv[2];
  if (!out) {
    console.error('usage: node build.mjs <out-dir>');
    process.exit(2);
  }
  await build(resolve(out));
  console.log(`built twilio-video-app-react on Confide's SDK into ${resolve(out)}`);
}
