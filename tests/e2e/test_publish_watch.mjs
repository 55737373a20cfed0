// A clip published by `onair publish` is watched in Chromium: for VP8 + Opus in WebM, H.264 +
// AAC in MP4 (the AAC transcoded to Opus) and AV1 + Opus in Matroska (AV1 packetized by onair,
// FFmpeg 5 has no AV1 RTP muxer), video frames decode at the clip's size and audio arrives,
// through the server's /watch page. The MP4 goes out with --no-pacing (a frame's packets at
// once, as ffmpeg's RTP output sends), the others paced as browsers send.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, OUT, ONAIR_BINARY } from './lib/server.mjs';
import { check, done, fail, waitFor } from './lib/tap.mjs';

const media = path.join(OUT, 'publish-watch-media');
fs.mkdirSync(media, { recursive: true });
const clips = {
    webm: ['-c:v', 'libvpx', '-b:v', '600k', '-deadline', 'realtime', '-c:a', 'libopus'],
    mp4: ['-c:v', 'libx264', '-preset', 'ultrafast', '-bf', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac'],
    mkv: ['-c:v', 'libaom-av1', '-cpu-used', '8', '-b:v', '400k', '-c:a', 'libopus'],
};
const videoCodec = { webm: 'VP8', mp4: 'H264', mkv: 'AV1' };
const publishFlags = { webm: [], mp4: ['--no-pacing'], mkv: [] };
for (const [ext, codecs] of Object.entries(clips)) {
    execFileSync('ffmpeg', ['-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=480x270:rate=30',
        '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100', '-t', '6', '-g', '30', ...codecs,
        path.join(media, `clip.${ext}`)]);
}

const server = await startServer('publish_watch');
const binary = ONAIR_BINARY;
const browser = await launchBrowser();

// The page says "playing" (its overlay gone) when its video starts, not only when its
// once-a-second statistics see frames: here those statistics never answer.
async function saysPlayingAtItsFirstFrame(name) {
    const page = await openPage(browser, 'publish_watch', 'no-stats');
    await page.addInitScript(() => {
        RTCPeerConnection.prototype.getStats = () => new Promise(() => {});
    });
    await page.goto(`${server.url}/watch/${name}`);
    const seen = await waitFor(() => page.evaluate(() => {
        const video = document.getElementById('video');
        return video.videoWidth > 0 && video.currentTime > 0 && {
            state: document.getElementById('state').dataset.state,
            overlayHidden: document.getElementById('overlay').hidden,
        };
    }), 20000);
    const said = seen && await waitFor(() => page.evaluate(() => window.onair.state === 'playing' &&
        document.getElementById('overlay').hidden), 5000);
    check(seen && said, 'a page whose statistics never answer says playing once its video shows',
        { seen, said });
    await page.close();
}

try {
    for (const ext of Object.keys(clips)) {
        const name = `file-${ext}`;
        const log = fs.openSync(path.join(OUT, `publish_watch-publish-${ext}.log`), 'w');
        const publisher = spawn(binary, ['publish', path.join(media, `clip.${ext}`), `${server.url}/whip/${name}`, '--loop',
                                          ...publishFlags[ext]],
                                { stdio: ['ignore', log, log] });
        fs.closeSync(log);
        try {
            const page = await openPage(browser, 'publish_watch', ext);
            await page.goto(`${server.url}/watch/${name}`);
            const stats = () => page.evaluate(() => window.onair.stats);
            const seen = await waitFor(async () => {
                const s = await stats();
                return s.framesDecoded > 60 && s.audioPacketsReceived > 50 && s;
            }, 20000);
            const last = seen || await stats();
            check(seen, `${ext}: Chromium decodes the published video and receives its audio`, last);
            check(last.width === 480 && last.height === 270, `${ext}: at the clip's 480x270`, last);
            const codecs = await page.evaluate(async () => {
                const out = [];
                (await window.onair.pc.getStats()).forEach((s) => { if (s.type === 'codec') out.push(s.mimeType); });
                return out;
            });
            check(codecs.includes('audio/opus') && codecs.includes(`video/${videoCodec[ext]}`),
                  `${ext}: the codecs are ${videoCodec[ext]} (untouched) and Opus`, codecs);
            check(page.problems.length === 0, `${ext}: no console errors`, page.problems);
            await page.close();
            if (ext === 'webm') await saysPlayingAtItsFirstFrame(name);
        } finally {
            if (publisher.exitCode === null && publisher.signalCode === null) {
                const exited = new Promise((resolve) => publisher.once('exit', resolve));
                publisher.kill('SIGINT');
                await exited;
            }
        }
        check(publisher.exitCode === 0, `${ext}: onair publish exits 0 on SIGINT`, publisher.exitCode);
    }
} catch (error) {
    fail('publish and watch', error);
} finally {
    await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}
done();
