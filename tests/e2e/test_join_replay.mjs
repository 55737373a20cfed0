// A viewer joining a file source between its keyframes. A file cannot make a keyframe on request,
// so the server replays the frames since the last one: Chromium decodes its first frame long
// before the source's next keyframe (6 s apart here), and then plays at live delay (each frame
// shown within a few tens of ms of its arrival, not a GOP behind), at the clip's frame rate, with
// no freeze. The clip's whole GOP is under the server's 512-packet replay limit (about 75 packets
// a second at 500 kbit/s), so the replay does not depend on how long the viewer takes to connect.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, OUT } from './lib/server.mjs';
import { check, fail, done, note, sleep, waitFor } from './lib/tap.mjs';

const GOP_SECONDS = 6;
const clip = path.join(OUT, 'join-replay.webm');
fs.mkdirSync(OUT, { recursive: true });
execFileSync('ffmpeg', ['-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30', '-f', 'lavfi', '-i', 'sine=frequency=440',
    '-t', String(3 * GOP_SECONDS), '-c:v', 'libvpx', '-b:v', '500k', '-g', String(30 * GOP_SECONDS),
    '-keyint_min', String(30 * GOP_SECONDS), '-deadline', 'realtime', '-cpu-used', '8',
    '-c:a', 'libopus', clip], { stdio: 'ignore' });

const server = await startServer('join-replay', { args: ['--source', `clip=${clip}`] });
let browser;
let watching = true;
let watcher;
try {
    // When the source's keyframes reach the server, from its keyframe counter.
    const keyframes = async () => {
        const text = await (await fetch(`${server.url}/metrics`)).text();
        return Number(/^onair_keyframes_total (\d+)$/m.exec(text)?.[1] ?? NaN);
    };
    // The browser is up first, so that the page is asked for a second after a keyframe whatever
    // its start took.
    browser = await launchBrowser();
    const page = await openPage(browser, 'join-replay', 'viewer');
    const seen = [];
    let last = await keyframes();
    watcher = (async () => {
        while (watching) {
            const now = await keyframes();
            if (now > last) seen.push(Date.now());
            last = now;
            await sleep(50);
        }
    })();
    // Join a second after a keyframe: the next one is GOP_SECONDS - 1 away.
    await waitFor(() => seen.length > 0, 2 * GOP_SECONDS * 1000, 50);
    check(seen.length > 0, 'the source\'s keyframes reach the server');
    await sleep(1000);

    const asked = Date.now();
    await page.goto(`${server.url}/watch/clip`);
    const firstFrame = await page.waitForFunction(() => new Promise((resolve) => {
        document.getElementById('video').requestVideoFrameCallback(() => resolve(Date.now()));
    }), null, { timeout: 3 * GOP_SECONDS * 1000 }).then((h) => h.jsonValue()).catch(() => null);
    const nextKeyframe = seen.find((t) => t > asked);
    note(`page asked → first frame ${firstFrame ? firstFrame - asked : 'never'} ms; next keyframe at`,
        nextKeyframe ? `${nextKeyframe - asked} ms` : 'not yet');
    check(firstFrame !== null, 'the viewer decodes a frame');
    check(firstFrame !== null && (nextKeyframe === undefined || firstFrame < nextKeyframe - 1000),
        'its first frame comes over a second before the source\'s next keyframe',
        `first frame ${firstFrame - asked} ms, next keyframe ${nextKeyframe ? nextKeyframe - asked : '-'} ms after the page was asked`);

    // Then 4 s of playing: how long each frame waits between its arrival and its display (live
    // delay; a player scheduling the replayed frames at their own timestamps would wait about the
    // GOP's age), the frame rate, and freezes.
    const stats = () => page.evaluate(async () => {
        let video = {};
        (await window.onair.pc.getStats()).forEach((r) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video') video = r;
        });
        return { decoded: video.framesDecoded, freezes: video.freezeCount };
    });
    await sleep(1000);
    const before = await stats();
    const waits = await page.evaluate(() => new Promise((resolve) => {
        const video = document.getElementById('video');
        const out = [];
        const until = performance.now() + 4000;
        const frame = (now, meta) => {
            if (meta.receiveTime !== undefined) out.push(meta.expectedDisplayTime - meta.receiveTime);
            if (now < until) video.requestVideoFrameCallback(frame);
            else resolve(out);
        };
        video.requestVideoFrameCallback(frame);
    }));
    const after = await stats();
    waits.sort((a, b) => a - b);
    const p90 = waits[Math.floor(waits.length * 0.9)];
    note(`arrival → display: p50 ${Math.round(waits[Math.floor(waits.length / 2)])} ms, p90 ${Math.round(p90)} ms`);
    check(waits.length > 60 && p90 < 400,
        `frames are shown at live delay: 90% within 400 ms of arriving (${Math.round(p90)} ms)`,
        `${waits.length} frames; waits ${waits.slice(0, 3).map(Math.round)} … ${waits.slice(-3).map(Math.round)} ms`);
    const fps = (after.decoded - before.decoded) / 4;
    check(fps > 24, `it plays at the clip's frame rate (${fps.toFixed(1)} frames/s decoded)`, { before, after });
    check(after.freezes === 0, 'with no freeze', after);
    check(page.problems.length === 0, 'the page logs no error', page.problems);
} catch (error) {
    fail('join replay', error);
} finally {
    watching = false;
    await watcher?.catch(() => {});
    if (browser) await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server stops cleanly', problems);
}
done();
