// bench/canary.mjs BASE STREAM SECONDS: a real viewer during a benchmark. Headless Chromium opens
// BASE/watch/STREAM and watches for SECONDS; prints one JSON object: the join time (page asked →
// first frame shown), and apart the browser's first join (which pays for the browser's own
// start), frames decoded and the frame rate, freezes (Chromium's own count and total duration:
// a frame later than max(3 × the average frame interval, average + 150 ms)), frames dropped,
// packets lost, and the average jitter-buffer delay. Used by bench/run-onair.
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { joinWatchPage } from './watch-join.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../tests/e2e/package.json'));
const { chromium } = require('playwright-core');

const [base, stream, seconds = '10'] = process.argv.slice(2);
if (!base || !stream) {
    console.error('usage: bench/canary.mjs BASE STREAM SECONDS');
    process.exit(2);
}

const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream', '--disable-background-networking',
        '--autoplay-policy=no-user-gesture-required'],
});
const result = { stream, seconds: Number(seconds) };

try {
    // A browser just started pays once for its own start (its first RTCPeerConnection and offer
    // take ~400 ms more here): that join is reported apart, and the one measured is the next.
    const first = await joinWatchPage(browser, base, stream);
    result.first_join_ms = first.joinMs;
    await first.context.close();
    const { page, joinMs } = await joinWatchPage(browser, base, stream);
    result.join_ms = joinMs;
    const stats = () => page.evaluate(async () => {
        const pc = window.onair.pc;
        const out = {};
        if (!pc) return out;
        (await pc.getStats()).forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') {
                Object.assign(out, {
                    framesDecoded: r.framesDecoded, framesDropped: r.framesDropped,
                    freezeCount: r.freezeCount, totalFreezesDuration: r.totalFreezesDuration,
                    packetsLost: r.packetsLost, packetsReceived: r.packetsReceived,
                    jitterBufferDelay: r.jitterBufferDelay, jitterBufferEmittedCount: r.jitterBufferEmittedCount,
                });
            }
        });
        return out;
    });
    const start = await stats();
    const t0 = Date.now();
    await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
    const end = await stats();
    const elapsed = (Date.now() - t0) / 1000;
    const delta = (k) => (end[k] ?? 0) - (start[k] ?? 0);
    Object.assign(result, {
        frames_decoded: delta('framesDecoded'),
        fps: Math.round((delta('framesDecoded') / elapsed) * 10) / 10,
        freezes: delta('freezeCount'),
        freeze_ms: Math.round(delta('totalFreezesDuration') * 1000),
        frames_dropped: delta('framesDropped'),
        packets_lost: delta('packetsLost'),
        packets_received: delta('packetsReceived'),
        jitter_buffer_ms: delta('jitterBufferEmittedCount')
            ? Math.round((delta('jitterBufferDelay') / delta('jitterBufferEmittedCount')) * 1000) : null,
    });
} catch (error) {
    result.error = String(error.message || error);
} finally {
    await browser.close();
}
console.log(JSON.stringify(result));
process.exit(result.error ? 1 : 0);
