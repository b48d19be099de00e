#!/usr/bin/env node
// The SDK for pages that load twilio-video with a script tag:
// web/sdk/twilio-video.min.js defines `Twilio.Video` (the same exports as
// web/sdk/index.js), bundled from web/sdk/ by esbuild (pinned in
// tests/app-react/package.json). It is generated, never edited: the test
// command runs this with --check, which fails when the file is not what
// the sources build to.
//
//   node scripts/sdk-global-build.mjs           writes web/sdk/twilio-video.min.js
//   node scripts/sdk-global-build.mjs --check   fails if it is stale

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(REPO, 'web/sdk/twilio-video.min.js');
const require = createRequire(join(REPO, 'tests/app-react/package.json'));
const esbuild = require('esbuild');

export async function buildGlobal() {
  const result = await esbuild.build({
    entryPoints: [join(REPO, 'web/sdk/index.js')],
    bundle: true,
    format: 'iife',
    globalName: 'Twilio.Video',
    minify: true,
    target: 'es2020',
    legalComments: 'none',
    // A script has no import.meta: e2ee.js falls back to the script's src.
    define: { 'import.meta.url': 'undefined' },
    write: false,
    banner: { js: '/* Confide browser SDK as Twilio.Video: generated from web/sdk/ by scripts/sdk-global-build.mjs; do not edit. */' },
  });
  return result.outputFiles[0].text;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const built = await buildGlobal();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(OUT, 'utf8');
    } catch {
      // reported below
    }
    if (current !== built) {
      console.error('sdk-global-build: web/sdk/twilio-video.min.js is not what web/sdk/ builds to; run node scripts/sdk-global-build.mjs');
      process.exit(1);
    }
    console.log('sdk-global-build: web/sdk/twilio-video.min.js is current');
  } else {
    writeFileSync(OUT, built);
    console.log(`sdk-global-build: wrote web/sdk/twilio-video.min.js (${built.length} bytes)`);
  }
}
