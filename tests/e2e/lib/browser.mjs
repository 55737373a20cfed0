// browser.mjs: Debian's Chromium driven by playwright-core, with a fake camera and microphone
// and no permission prompts, plus pages that keep their console for the test to check.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { OUT } from './server.mjs';

const LIB = path.dirname(fileURLToPath(import.meta.url));

const ARGS = [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    '--disable-background-networking',
    '--autoplay-policy=no-user-gesture-required',
    // Plain host candidates instead of mDNS names: no multicast leaves the machine, and the
    // server sees the addresses its checks come from.
    '--disable-features=WebRtcHideLocalIpsWithMdns',
    // Offer 127.0.0.1 candidates too, to pair with the server's 127.0.0.1 candidate.
    '--allow-loopback-in-peer-connection',
];

// NETNS, when given, is the network namespace the browser runs in (see chromium-netns); ARGS are
// more Chromium flags.
export async function launchBrowser({ netns, args = [] } = {}) {
    return chromium.launch({
        executablePath: netns ? path.join(LIB, 'chromium-netns') : process.env.CHROMIUM || '/usr/bin/chromium',
        env: netns ? { ...process.env, ONAIR_NETNS: netns } : undefined,
        args: [...ARGS, ...args],
        timeout: 30000,
    });
}

// Opens a page in its own context (so two watchers do not share anything) and records its
// console to tests/out/<test>-<label>.log. page.problems lists console errors and uncaught
// exceptions, for the test to assert that there were none.
export async function openPage(browser, testName, label) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    const logPath = path.join(OUT, `${testName}-${label}.log`);
    const log = fs.createWriteStream(logPath);
    page.problems = [];
    page.on('console', (message) => {
        log.write(`[${message.type()}] ${message.text()}\n`);
        if (message.type() === 'error') page.problems.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => {
        log.write(`[pageerror] ${error.stack || error}\n`);
        page.problems.push(`uncaught: ${error.message}`);
    });
    page.on('requestfailed', (request) => {
        log.write(`[requestfailed] ${request.method()} ${request.url()} ${request.failure()?.errorText}\n`);
    });
    page.on('close', () => log.end());
    return page;
}
