// bench/join-time.mjs [JOINS]: how long a viewer waits for its first frame when the publisher is
// a browser (which makes a keyframe when asked), or with SOURCE=FILE a file the server reads
// (which cannot: the server replays the frames since its last keyframe from history), or with
// SOURCE=camera an IP camera the server pulls over RTSP (nor can it): GStreamer's RTSP server
// (tests/e2e/lib/rtsp_camera.py) sending H.264 with a keyframe every 2 s, and AAC.
// Starts `onair serve` (ONAIR=binary, default build/onair) on loopback, a headless Chromium page
// publishing its fake camera through /publish/join (or `--source join=FILE`), then JOINS times
// (default 10) opens /watch/join in a fresh context and measures page asked → first frame
// decoded (requestVideoFrameCallback), at random moments so the joins fall anywhere in the
// stream.
// Prints one JSON object: every join in ms, p50 and max, when each page's connection was up
// (page load, WHEP, ICE and DTLS: the part before any keyframe matters), when it sent its WHEP
// offer (page load and the browser's own set-up: scripts, RTCPeerConnection, createOffer) and
// had the answer, and the server's own join histogram (keys ready → first keyframe sent) from
// /metrics.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

import { launchBrowser, openPage } from '../tests/e2e/lib/browser.mjs';
import { ROOT, startServer } from '../tests/e2e/lib/server.mjs';

const joins = Number(process.argv[2] || 10);
let source = process.env.SOURCE;
let camera = null;
if (source === 'camera') {
    const port = await new Promise((resolve) => {
        const probe = net.createServer().listen(0, '127.0.0.1', () => {
            const { port: free } = probe.address();
            probe.close(() => resolve(free));
        });
    });
    camera = spawn('/usr/bin/python3', [path.join(ROOT, 'tests/e2e/lib/rtsp_camera.py'), String(port)],
                   { env: { ...process.env, CAMERA_KEYINT: '60' }, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
        camera.stdout.on('data', (data) => { if (/^ready /m.test(String(data))) resolve(); });
        camera.on('exit', () => reject(new Error('the RTSP camera exited')));
    });
    source = `rtsp://127.0.0.1:${port}/test`;
}
const server = await startServer('join-time', {
    logName: 'bench-join-time', args: source ? ['--source', `join=${source}`] : [],
});
const browser = await launchBrowser();
const result = { publisher: camera ? 'camera, 2 s GOP' : source || 'chromium', joins_ms: [],
                 connected_ms: [], posted_ms: [], answered_ms: [] };
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
        let posted = null;
        let answered = null;
        const isWhep = (request) => request.method() === 'POST' && request.url().includes('/whep/');
        viewer.on('request', (request) => { if (isWhep(request)) posted ??= Date.now(); });
        viewer.on('response', (response) => { if (isWhep(response.request())) answered ??= Date.now(); });
        const asked = Date.now();
        await viewer.goto(`${server.url}/watch/join`);
        await viewer.waitForFunction(() => window.onair?.pc?.connectionState === 'connected', null,
                                     { timeout: 15000, polling: 10 });
        result.connected_ms.push(Date.now() - asked);
        const first = await viewer.waitForFunction(() => new Promise((resolve) => {
            document.getElementById('video').requestVideoFrameCallback(() => resolve(Date.now()));
        }), null, { timeout: 15000 }).then((h) => h.jsonValue());
        result.joins_ms.push(first - asked);
        result.posted_ms.push(posted && posted - asked);
        result.answered_ms.push(answered && answered - asked);
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
    camera?.kill();
}
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
