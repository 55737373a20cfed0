// bench/join-time.mjs [JOINS]: how long a viewer waits for its first frame when the publisher is
// a browser (which makes a keyframe when asked), or with SOURCE=FILE a file the server reads
// (which cannot: the server replays the frames since its last keyframe from history).
// Starts `onair serve` (ONAIR=binary, default build/onair) on loopback, a headless Chromium page
// publishing its fake camera through /publish/join (or `--source join=FILE`), then JOINS times
// (default 10) opens /watch/join in a fresh context and measures page asked → first frame
// decoded (requestVideoFrameCallback), at random moments so the joins fall anywhere in the
// stream.
// Prints one JSON object: every join in ms, p50 and max, when each page's connection was up
// (page load, WHEP, ICE and DTLS: the part before any keyframe matters), and the server's own
// join histogram (keys ready → first keyframe sent) from /metrics.
import { launchBrowser, openPage } from '../tests/e2e/lib/browser.mjs';
import { startServer } from '../tests/e2e/lib/server.mjs';

const joins = Number(process.argv[2] || 10);
const source = process.env.SOURCE;
const server = await startServer('join-time', {
    logName: 'bench-join-time', args: source ? ['--source', `join=${source}`] : [],
});
const browser = await launchBrowser();
const result = { publisher: source || 'chromium', joins_ms: [], connected_ms: [] };
try {
    if (!source) {
        const publisher = await openPage(browser, 'bench-join-time', 'publisher');
        await publisher.goto(`${server.url}/publish/join`);
        await publisher.evaluate(() => window.onair.start());
        await publisher.waitForFunction(() => window.onair.state === 'live', null, { timeout: 15000 });
    }
    // Let the encoder get past its start (its first seconds ramp up bitrate and resolution).
    await new Promise((resolve) => setTimeout(resolve, 3000));
    for (let i = 0; i < joins; i++) {
        await new Promise((resolve) => setTimeout(resolve, 500 + Math.random() * 1500));
        const viewer = await openPage(browser, 'bench-join-time', `viewer-${i}`);
        const asked = Date.now();
        await viewer.goto(`${server.url}/watch/join`);
        await viewer.waitForFunction(() => window.onair?.pc?.connectionState === 'connected', null,
                                     { timeout: 15000, polling: 10 });
        result.connected_ms.push(Date.now() - asked);
        const first = await viewer.waitForFunction(() => new Promise((resolve) => {
            document.getElementById('video').requestVideoFrameCallback(() => resolve(Date.now()));
        }), null, { timeout: 15000 }).then((h) => h.jsonValue());
        result.joins_ms.push(first - asked);
        await viewer.context().close();
    }
    const sorted = [...result.joins_ms].sort((a, b) => a - b);
    result.p50_ms = sorted[Math.floor((sorted.length - 1) / 2)];
    result.max_ms = sorted[sorted.length - 1];
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const line = (name) => Number((new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics) || [])[1]);
    const count = line('onair_viewer_join_milliseconds_count');
    result.server_join_ms_mean = count ? Math.round(line('onair_viewer_join_milliseconds_sum') / count) : null;
} catch (error) {
    result.error = String(error.message || error);
} finally {
    await browser.close();
    await server.stop();
}
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
