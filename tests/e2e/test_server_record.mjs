// The server records: a stream Chromium publishes (--record-dir with --record), and an
// in-server source started and stopped through the API; each file plays in ffprobe with both
// tracks, untouched codecs and audio and video starting together; a file read while it is
// being written plays too. A finished file downloads whole or by range and can be deleted.
// And the errors a user of the API sees.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT } from './lib/server.mjs';
import { check, fail, done, waitFor, sleep } from './lib/tap.mjs';

const media = path.join(OUT, 'server-record-media');
const dir = fs.mkdtempSync('/tmp/onair-recordings-');
fs.mkdirSync(media, { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });

// ffprobe's view of a file: per stream type, codec, frames counted, start time.
function probe(file) {
    try {
        const out = execFileSync('ffprobe', ['-v', 'error', '-count_frames', '-show_entries',
            'stream=codec_type,codec_name,nb_read_frames,start_time', '-of', 'json', file]);
        const streams = JSON.parse(out).streams || [];
        const by = {};
        for (const s of streams) {
            by[s.codec_type] = { codec: s.codec_name, frames: Number(s.nb_read_frames || 0),
                                 start: Number(s.start_time) };
        }
        return by;
    } catch (error) {
        return { error: String(error.stderr || error) };
    }
}

async function api(method, url) {
    const r = await fetch(url, { method });
    let body = null;
    try { body = await r.json(); } catch { body = null; }
    return { status: r.status, body };
}

const server = await startServer('server_record', {
    args: ['--record-dir', dir, '--record', 'cam', '--source', `lobby=${path.join(media, 'demo.webm')}`],
});
const browser = await launchBrowser();
try {
    // 1. Chromium publishes "cam", which --record names: recorded from its first keyframe.
    const page = await openPage(browser, 'server_record', 'publish');
    await page.goto(`${server.url}/publish/cam`);
    await page.click('#go');
    const live = await waitFor(async () => (await api('GET', `${server.url}/api/streams/cam`)).body?.live, 15000);
    check(live, 'the Chromium publisher is live on cam');
    await sleep(6000);
    const sent = await page.evaluate(async () => {
        let frames = 0;
        (await window.onair.pc.getStats()).forEach((s) => {
            if (s.type === 'outbound-rtp' && s.kind === 'video') frames = s.framesEncoded || 0;
        });
        return frames;
    });
    let list = (await api('GET', `${server.url}/api/recordings`)).body;
    const camActive = list?.recordings?.find((r) => r.stream === 'cam');
    check(camActive?.active === true && camActive.bytes > 0, 'GET /api/recordings lists cam\'s file, active and growing', list);
    await page.click('#stop');
    const ended = await waitFor(async () => {
        const l = (await api('GET', `${server.url}/api/recordings`)).body;
        const r = l?.recordings?.find((x) => x.stream === 'cam');
        return r && !r.active && r;
    }, 10000);
    check(ended && /^cam-\d{8}T\d{6}Z\.mkv$/.test(ended.file),
          'when the publisher stops, the file is finished and named by stream and start time', ended);
    const cam = probe(path.join(dir, ended?.file || 'missing'));
    check(cam.video?.codec === 'vp8' && cam.audio?.codec === 'opus',
          'the recording holds Chromium\'s VP8 and Opus, untouched', cam);
    check(cam.video?.frames >= 0.6 * sent && sent > 0,
          `the recording has the frames Chromium sent (${cam.video?.frames} of ${sent}, at least 60%)`, cam);
    check(cam.audio?.frames > 100, 'and its audio (over 2 s of 20 ms frames)', cam);
    check(Math.abs(cam.video?.start - cam.audio?.start) <= 0.1,
          `audio and video start within 100 ms (${cam.video?.start} / ${cam.audio?.start})`, cam);

    // 2. The in-server source "lobby" through the API.
    const started = await api('POST', `${server.url}/api/streams/lobby/recording`);
    check(started.status === 201 && /^lobby-.*\.mkv$/.test(started.body?.file || ''),
          'POST /api/streams/lobby/recording starts a recording: 201 with the file', started);
    const again = await api('POST', `${server.url}/api/streams/lobby/recording`);
    check(again.status === 409 && /already/.test(again.body?.error), 'a second POST answers 409 with the reason', again);
    await sleep(4000);
    const fileUrl = `${server.url}/api/recordings/${started.body?.file}`;
    const busy = await api('DELETE', fileUrl);
    check(busy.status === 409 && /being written: stop it first \(DELETE \/api\/streams\/lobby\/recording\)/.test(busy.body?.error),
          'DELETE of a recording being written: 409, saying how to stop it', busy);
    const growing = probe(path.join(dir, started.body?.file || 'missing'));
    check(growing.video?.frames > 30 && growing.audio?.frames > 0,
          'the file plays while it is being written (live-safe Matroska)', growing);
    const stopped = await api('DELETE', `${server.url}/api/streams/lobby/recording`);
    check(stopped.status === 200, 'DELETE stops it: 200', stopped);
    const stoppedAgain = await api('DELETE', `${server.url}/api/streams/lobby/recording`);
    check(stoppedAgain.status === 404 && /not being recorded/.test(stoppedAgain.body?.error),
          'DELETE when nothing records answers 404 with the reason', stoppedAgain);
    const lobby = probe(path.join(dir, started.body?.file || 'missing'));
    check(lobby.video?.codec === 'vp8' && lobby.video.frames >= 90 && lobby.audio?.codec === 'opus' &&
          Math.abs(lobby.video.start - lobby.audio.start) <= 0.1,
          'the finished lobby file: VP8 and Opus, about 4 s, tracks starting together', lobby);

    // Downloading it: the whole file, byte for byte, and one range of it (a player seeking).
    const onDisk = fs.readFileSync(path.join(dir, started.body?.file || 'missing'));
    const whole = await fetch(fileUrl);
    const got = Buffer.from(await whole.arrayBuffer());
    check(whole.status === 200 && got.equals(onDisk) && whole.headers.get('accept-ranges') === 'bytes' &&
          whole.headers.get('content-disposition') === `attachment; filename="${started.body?.file}"`,
          `GET /api/recordings/FILE downloads the file, byte for byte (${got.length} bytes)`,
          { status: whole.status, length: got.length, onDisk: onDisk.length });
    const part = await fetch(fileUrl, { headers: { Range: 'bytes=1000-1999' } });
    const partBytes = Buffer.from(await part.arrayBuffer());
    check(part.status === 206 && part.headers.get('content-range') === `bytes 1000-1999/${onDisk.length}` &&
          partBytes.equals(onDisk.subarray(1000, 2000)),
          'Range: bytes=1000-1999 gives 206 and those bytes', { status: part.status, range: part.headers.get('content-range') });
    const past = await fetch(fileUrl, { headers: { Range: `bytes=${onDisk.length}-` } });
    check(past.status === 416 && past.headers.get('content-range') === `bytes */${onDisk.length}`,
          'a range past the end: 416 with the size', past.status);
    const traversal = await api('GET', `${server.url}/api/recordings/..%2F..%2Fetc%2Fpasswd`);
    check(traversal.status === 404, 'a path instead of a recording\'s name: 404', traversal);
    const removed = await api('DELETE', fileUrl);
    const listed = (await api('GET', `${server.url}/api/recordings`)).body?.recordings?.map((r) => r.file) || [];
    check(removed.status === 200 && removed.body?.deleted === true && !fs.existsSync(path.join(dir, started.body?.file)) &&
          !listed.includes(started.body?.file),
          'DELETE /api/recordings/FILE removes the finished file from the disk and the list', { removed, listed });
    const gone = await api('GET', fileUrl);
    check(gone.status === 404 && gone.body?.error === 'no such recording', 'and then GET answers 404', gone);

    // 3. Errors.
    const none = await api('POST', `${server.url}/api/streams/nobody/recording`);
    check(none.status === 404 && /no publisher/.test(none.body?.error), 'recording a stream with no publisher: 404', none);
    const bad = await api('POST', `${server.url}/api/streams/bad%20name/recording`);
    check(bad.status === 400, 'a bad stream name: 400', bad);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    check(/^onair_recording_files_total 2$/m.test(metrics) && /^onair_recordings_active 0$/m.test(metrics) &&
          /^onair_recording_dropped_packets_total 0$/m.test(metrics),
          '/metrics counts 2 recording files, none active, no packet dropped', metrics.split('\n').filter((l) => /recording/.test(l) && !l.startsWith('#')));
    check(page.problems.length === 0, 'no console errors on the publish page', page.problems);
} catch (error) {
    fail('server recording scenario', error);
} finally {
    await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}

// Without --record-dir, recording is off and says how to turn it on.
const plain = await startServer('server_record_off', {});
try {
    const off = await api('POST', `${plain.url}/api/streams/x/recording`);
    check(off.status === 409 && /--record-dir/.test(off.body?.error),
          'without --record-dir: 409 naming the flag (not 503: no retry changes the setting)', off);
    const list = (await api('GET', `${plain.url}/api/recordings`)).body;
    check(list?.enabled === false && list.recordings.length === 0, 'and /api/recordings says recording is off', list);
    const download = await api('GET', `${plain.url}/api/recordings/x-20261201T000000Z.mkv`);
    check(download.status === 404 && /--record-dir/.test(download.body?.error), 'and a download: 404 naming the flag', download);
} catch (error) {
    fail('recording off', error);
} finally {
    const problems = await plain.stop();
    check(problems.length === 0, 'that server ran and stopped cleanly', problems.join('; '));
}
fs.rmSync(dir, { recursive: true, force: true });
done();
