// bench/join-floor.mjs BASE STREAM [JOINS]: the least a page can take to join STREAM in this
// browser, to hold the watch page's join (bench/join-steps.mjs) against. Headless Chromium, as
// the tests run it, opens a bare page at BASE/join-floor JOINS times (default 5), each in a
// fresh context: one inline script, one video element, no stylesheet, no module, no chat. The
// page is handed over by this script (the server has no such page), so its first request to the
// server is the WHEP POST. Prints one line a join, in ms from the navigation's start: when the
// script ran, the offer was made, the answer read, the connection up, and when the first
// frame's packets came and it was shown; then the POST's own timing from the browser's network
// stack (request sent, response's first and last byte), which says how long the page's thread
// took to hear of it.
import { launchBrowser } from '../tests/e2e/lib/browser.mjs';

const [base, stream, joins = '5'] = process.argv.slice(2);
if (!base || !stream) {
    console.error('usage: bench/join-floor.mjs BASE STREAM [JOINS]');
    process.exit(2);
}

const page = `<!doctype html>
<html><head><meta charset="utf-8"><link rel="icon" href="data:,"><script>
const stamp = (ms, step) => (window.steps ??= []).push(Math.round(ms) + ' ' + step);
stamp(performance.now(), 'script');
(async () => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    const video = pc.addTransceiver('video', { direction: 'recvonly' });
    const now = () => performance.now();
    pc.addEventListener('connectionstatechange', () => stamp(now(), pc.connectionState));
    await pc.setLocalDescription(await pc.createOffer());
    stamp(performance.now(), 'offer');
    const response = await fetch('/whep/' + ${JSON.stringify(encodeURIComponent(stream))}, {
        method: 'POST',
        headers: { 'Content-Type': 'application/sdp' },
        body: pc.localDescription.sdp,
    });
    const answer = await response.text();
    stamp(performance.now(), 'answer');
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    if (document.readyState === 'loading') {
        await new Promise((resolve) => addEventListener('DOMContentLoaded', resolve));
    }
    const element = document.getElementById('video');
    element.srcObject = new MediaStream([video.receiver.track]);
    element.requestVideoFrameCallback((now, frame) => {
        if (frame.receiveTime !== undefined) stamp(frame.receiveTime, 'first frame received');
        stamp(frame.presentationTime, 'first frame shown');
        const resources = performance.getEntriesByType('resource');
        const post = resources.find((entry) => entry.name.includes('/whep/'));
        if (post) {
            stamp(post.requestStart, 'POST sent');
            stamp(post.responseStart, 'POST answered');
            stamp(post.responseEnd, 'POST read');
        }
        window.joined = true;
    });
})();
</script></head><body><video id="video" autoplay muted playsinline></video></body></html>`;

const browser = await launchBrowser();
try {
    for (let i = 0; i < Number(joins); i++) {
        const context = await browser.newContext();
        const tab = await context.newPage();
        const bare = { contentType: 'text/html', body: page };
        await tab.route(`${base}/join-floor`, (route) => route.fulfill(bare));
        await tab.goto(`${base}/join-floor`);
        await tab.waitForFunction(() => window.joined, null, { timeout: 20000 });
        const steps = await tab.evaluate(() => window.steps);
        console.log(steps.sort((a, b) => parseInt(a) - parseInt(b)).join(' | '));
        await context.close();
    }
} finally {
    await browser.close();
}
