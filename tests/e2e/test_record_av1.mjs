// test_record_av1: AV1 end to end without re-encoding. Chromium publishes AV1 (the server asks
// for it with --video-codecs AV1); `onair record` writes what it receives to .mkv, and the
// server records the stream too (--record-dir). Both files hold AV1 that ffprobe decodes frame by
// frame (libdav1d), with Opus beside it.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ONAIR_BINARY } from './lib/server.mjs';
import { check, done, fail, note, sleep, waitFor } from './lib/tap.mjs';

const TEST = 'record_av1';
const ONAIR = ONAIR_BINARY;

function probe(file) {
    try {
        const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries',
            'stream=codec_type,codec_name,nb_read_frames,width,height', '-of', 'json', file]);
        const by = {};
        for (const s of JSON.parse(out).streams || []) {
            by[s.codec_type] = { codec: s.codec_name, frames: Number(s.nb_read_frames || 0), width: s.width, height: s.height };
        }
        return by;
    } catch (error) {
        return { error: String(error.stderr || error) };
    }
}

function run(args) {
    return new Promise((resolve) => {
        const child = spawn(ONAIR, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => { out += d; });
        child.stderr.on('data', (d) => { out += d; });
        child.on('exit', (code) => resolve({ code, out }));
    });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-av1-'));
let server;
let browser;
try {
    server = await startServer(TEST, { args: ['--video-codecs', 'AV1', '--record-dir', dir, '--record', 'av1cam'] });
    note(`server ${server.url} pid ${server.pid}, log ${server.logPath}`);
    browser = await launchBrowser();
    const page = await openPage(browser, TEST, 'publish');
    await page.goto(`${server.url}/publish/av1cam`);
    await page.evaluate(() => window.onair.start());
    check(await waitFor(() => page.evaluate(() => window.onair.state === 'live'), 15000), 'Chromium goes live');
    const codec = await waitFor(() => page.evaluate(async () => {
        let mime = '';
        (await window.onair.pc.getStats()).forEach((s) => {
            if (s.type === 'codec' && s.mimeType.startsWith('video/')) mime = s.mimeType;
        });
        return mime;
    }), 10000);
    check(codec === 'video/AV1', 'the publisher sends AV1', codec);
    await sleep(1000);
    const size = await page.evaluate(async () => {
        let wh = null;
        (await window.onair.pc.getStats()).forEach((s) => {
            if (s.type === 'outbound-rtp' && s.kind === 'video') wh = { width: s.frameWidth, height: s.frameHeight };
        });
        return wh;
    });

    const out = path.join(dir, 'client.mkv');
    const rec = await run(['record', `${server.url}/whep/av1cam`, out, '--duration', '5']);
    check(rec.code === 0 && /^wrote /m.test(rec.out), 'onair record exits 0 and says what it wrote', rec.out.trim());
    const client = probe(out);
    check(client.video?.codec === 'av1' && client.video.frames >= 60,
        `onair record's file holds AV1 that decodes: ${client.video?.frames} frames in 5 s`, client);
    check(client.video?.width === size?.width && client.video.height === size.height,
        `with the picture size Chromium sends (${size?.width}x${size?.height})`, { file: client.video, sent: size });
    check(client.audio?.codec === 'opus' && client.audio.frames > 100, 'and Opus audio', client.audio);

    await page.evaluate(() => window.onair.stop());
    const finished = await waitFor(async () => {
        const list = await (await fetch(`${server.url}/api/recordings`)).json();
        const r = list.recordings?.find((x) => x.stream === 'av1cam');
        return r && !r.active && r;
    }, 10000);
    const serverFile = probe(path.join(dir, finished?.file || 'missing'));
    check(serverFile.video?.codec === 'av1' && serverFile.video.frames >= 90,
        `the server's recording holds AV1 that decodes: ${serverFile.video?.frames} frames`, serverFile);
    check(page.problems.length === 0, 'no console errors on the publish page', page.problems);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await browser?.close();
    if (server) {
        const problems = await server.stop();
        check(problems.length === 0, 'the server ran and stopped cleanly', problems);
    }
    fs.rmSync(dir, { recursive: true, force: true });
}
done();
