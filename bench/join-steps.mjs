// bench/join-steps.mjs BASE STREAM [JOINS]: where a browser's join goes, step by step, against a
// running server (BASE is its http:// root). Headless Chromium opens BASE/watch/STREAM JOINS
// times (default 5), each in a fresh context of one browser, with a script run before the page's
// own that stamps (performance.now(), ms from the navigation's start) the document's creation,
// each fetch, the RTCPeerConnection's construction, its createOffer and set*Description calls,
// its ICE and connection states, and when the first video frame's packets came and when it was
// shown. Prints one line a join: "MS STEP | MS STEP | ...". The page's own code is unchanged;
// only the calls are wrapped.
import { launchBrowser } from '../tests/e2e/lib/browser.mjs';

const [base, stream, joins = '5'] = process.argv.slice(2);
if (!base || !stream) {
    console.error('usage: bench/join-steps.mjs BASE STREAM [JOINS]');
    process.exit(2);
}

// Runs in the page before its scripts: wraps what a join calls and notes when each call starts
// (">") and ends ("<").
function stampJoinSteps() {
    const stamp = (step) => (window.joinSteps ??= []).push([Math.round(performance.now()), step]);
    stamp('document');
    addEventListener('DOMContentLoaded', () => stamp('DOMContentLoaded'));
    addEventListener('load', () => stamp('load'));
    const pageFetch = window.fetch;
    window.fetch = async (url, options) => {
        const name = String(url).replace(location.origin, '').slice(0, 24);
        stamp(`fetch> ${name}`);
        const response = await pageFetch(url, options);
        stamp(`fetch< ${name}`);
        return response;
    };
    const PageConnection = window.RTCPeerConnection;
    window.RTCPeerConnection = function (...args) {
        stamp('pc>');
        const pc = new PageConnection(...args);
        stamp('pc<');
        for (const method of ['createOffer', 'setLocalDescription', 'setRemoteDescription']) {
            const call = pc[method].bind(pc);
            pc[method] = async (...callArgs) => {
                stamp(`${method}>`);
                const result = await call(...callArgs);
                stamp(`${method}<`);
                return result;
            };
        }
        pc.addEventListener('iceconnectionstatechange', () => stamp(`ice ${pc.iceConnectionState}`));
        pc.addEventListener('connectionstatechange', () => stamp(`pc ${pc.connectionState}`));
        return pc;
    };
    window.RTCPeerConnection.prototype = PageConnection.prototype;
}

// The tests' Chromium, as bench/join-time.mjs uses: the joins it times are the ones split here.
const browser = await launchBrowser();
try {
    for (let i = 0; i < Number(joins); i++) {
        const context = await browser.newContext();
        await context.addInitScript(stampJoinSteps);
        const page = await context.newPage();
        await page.goto(`${base}/watch/${encodeURIComponent(stream)}`);
        // The first frame's own times, from the page's clock: when its packets came and when it
        // was shown (not when this script heard of it).
        const steps = await page.evaluate(() => new Promise((resolve) => {
            document.getElementById('video').requestVideoFrameCallback((now, frame) => {
                const stamp = (ms, step) => window.joinSteps.push([Math.round(ms), step]);
                if (frame.receiveTime !== undefined) {
                    stamp(frame.receiveTime, 'first frame received');
                }
                stamp(frame.presentationTime, 'first frame shown');
                resolve(window.joinSteps.sort((a, b) => a[0] - b[0]));
            });
        }));
        console.log(steps.map(([ms, step]) => `${ms} ${step}`).join(' | '));
        await context.close();
    }
} finally {
    await browser.close();
}
