// test_browser_relay: Chromium publishes through /publish/NAME and two Chromium pages watch
// through /watch/NAME; media must flow, survive the publisher leaving and coming back, and reach
// a viewer that came before the publisher.
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, OUT } from './lib/server.mjs';
import { check, done, fail, note, sleep, waitFor } from './lib/tap.mjs';

const TEST = 'browser_relay';
const NAME = `relay-${process.pid}`;

// The watch page's own view of itself, plus what the <video> element does over half a second.
async function watcherState(page) {
    return page.evaluate(async () => {
        const video = document.querySelector('video');
        const before = video.currentTime;
        await new Promise((resolve) => setTimeout(resolve, 500));
        return {
            state: window.onair.state,
            connectionState: window.onair.pc?.connectionState,
            connects: window.onair.connects,
            framesDecoded: window.onair.stats.framesDecoded || 0,
            audioPackets: window.onair.stats.audioPacketsReceived || 0,
            videoWidth: video.videoWidth,
            paused: video.paused,
            advanced: video.currentTime - before,
        };
    });
}

// Waits until the watcher has decoded MORE frames than FROM, and reports what it saw.
async function waitForFrames(page, from, more, timeoutMs) {
    let last;
    await waitFor(async () => {
        last = await watcherState(page);
        return last.framesDecoded > from + more;
    }, timeoutMs);
    return last;
}

async function streamInfo(url) {
    const response = await fetch(`${url}/api/streams`);
    const { streams } = await response.json();
    return streams.find((s) => s.name === NAME);
}

async function run(server, browser) {
    const pages = [];
    const open = async (label, path, waitUntil = 'load') => {
        const page = await openPage(browser, TEST, label);
        pages.push(page);
        await page.goto(`${server.url}${path}`, { waitUntil });
        return page;
    };

    // A viewer that arrives first must stay connected and wait, and its page finish loading
    // (a video element waiting for a frame holds the load event: the tab would spin).
    const early = await open('early-viewer', `/watch/${NAME}`, 'domcontentloaded');
    const waiting = await waitFor(() => early.evaluate(() => window.onair.state === 'waiting' && window.onair.pc.connectionState), 10000);
    check(waiting === 'connected', 'a viewer that arrives before the publisher connects and waits',
        await early.evaluate(() => ({ state: window.onair.state, error: document.getElementById('error').textContent })));
    const loaded = await waitFor(() => early.evaluate(() => document.readyState === 'complete'), 5000);
    check(loaded, 'the waiting viewer\'s page finishes loading within 5 s', await early.evaluate(() => document.readyState));

    const publisher = await open('publisher', `/publish/${NAME}`);
    await publisher.evaluate(() => window.onair.start());
    const live = await waitFor(() => publisher.evaluate(() => window.onair.state === 'live'), 10000);
    check(live, 'the publish page goes live', await publisher.evaluate(() => ({
        state: window.onair.state, error: document.getElementById('error').textContent,
    })));

    const late = await open('viewer', `/watch/${NAME}`);
    const watchers = { 'early viewer': early, viewer: late };
    for (const [label, page] of Object.entries(watchers)) {
        const seen = await waitForFrames(page, 0, 30, 15000);
        check(seen.framesDecoded > 30, `${label}: framesDecoded rises above 30`, seen);
        check(seen.audioPackets > 0, `${label}: audio packets arrive`, seen);
        check(seen.videoWidth > 0 && !seen.paused && seen.advanced > 0,
            `${label}: the video element plays (videoWidth > 0, currentTime advancing)`, seen);
        check(seen.state === 'playing', `${label}: the page says it is playing`, seen);
    }
    // RTCP both ways under the SRTP profile the browsers chose: the publisher's browser took
    // the server's keyframe requests for the late viewer (SRTCP the server sealed), and the
    // server took the browsers' reports and feedback (SRTCP it opened), refusing none of
    // their packets.
    const pub = await publisher.evaluate(async () => {
        let pli = 0, cipher = '';
        (await window.onair.pc.getStats()).forEach((s) => {
            if (s.type === 'outbound-rtp' && s.kind === 'video') pli += s.pliCount || 0;
            if (s.type === 'transport') cipher = s.srtpCipher || cipher;
        });
        return { pli, cipher };
    });
    check(pub.cipher === 'SRTP_AEAD_AES_128_GCM' && pub.pli > 0,
        "the publisher's browser negotiated AEAD_AES_128_GCM and got the server's keyframe requests", pub);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const metric = (name) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    const rtcp = { in: metric('onair_rtcp_packets_received_total'), rejected: metric('onair_srtp_rejected_total') };
    check(rtcp.in > 0 && rtcp.rejected === 0,
        "the server took the browsers' RTCP as authentic and refused none of their packets", rtcp);
    await late.screenshot({ path: `${OUT}/${TEST}-watch.png` });
    await publisher.screenshot({ path: `${OUT}/${TEST}-publish.png` });

    const info = await waitFor(async () => {
        const s = await streamInfo(server.url);
        return s?.viewers === 2 && s;
    }, 5000);
    check(info && info.live === true && info.viewers === 2, '/api/streams shows the stream live with 2 viewers',
        await streamInfo(server.url));

    // The publisher leaves and comes back under the same name: the viewers go on, on the same
    // peer connections, without a reload.
    const before = {};
    for (const [label, page] of Object.entries(watchers)) {
        before[label] = await page.evaluate(() => {
            window.firstPc = window.onair.pc;
            return window.onair.stats.framesDecoded;
        });
    }
    await publisher.evaluate(() => window.onair.stop());
    const gone = await waitFor(async () => (await streamInfo(server.url))?.live === false, 5000);
    check(gone, '/api/streams shows the stream not live once the publisher stops', await streamInfo(server.url));
    await sleep(2000);
    await publisher.evaluate(() => window.onair.start());
    const back = await waitFor(() => publisher.evaluate(() => window.onair.state === 'live'), 10000);
    check(back, 'the publisher goes live again under the same name');
    for (const [label, page] of Object.entries(watchers)) {
        const seen = await waitForFrames(page, before[label], 30, 15000);
        check(seen.framesDecoded > before[label] + 30,
            `${label}: frames keep coming after the publisher returns`, { before: before[label], ...seen });
        const same = await page.evaluate(() => window.onair.pc === window.firstPc && window.onair.connects === 1);
        check(same, `${label}: on the same RTCPeerConnection, without a reload or reconnect`, seen);
    }

    for (const page of pages) {
        const label = Object.entries(watchers).find(([, p]) => p === page)?.[0] || 'publisher';
        check(page.problems.length === 0, `${label} page: no console errors`, page.problems);
    }
    await publisher.evaluate(() => window.onair.stop());
}

let server;
let browser;
try {
    server = await startServer(TEST);
    note(`server ${server.url} pid ${server.pid}, log ${server.logPath}`);
    browser = await launchBrowser();
    await run(server, browser);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await browser?.close().catch(() => {});
    if (server) {
        const problems = await server.stop();
        check(problems.length === 0, 'the server ran and stopped cleanly', problems);
    }
    done();
}
