// Webhooks: `onair serve --webhook URL --webhook-secret SECRET` POSTs JSON events to an
// application (here a Node HTTP server on loopback): a stream going live (with its codecs),
// ending, and its recording finished. Each is signed (X-Onair-Signature: sha256=HMAC of the
// body), numbered, tried again when the receiver fails (the first POST here gets 503), and
// counted in /metrics; a receiver that is gone costs the server nothing but a log line. A
// publisher whose media never came makes no event; DELETE /api/streams/NAME ends a broadcast.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startServer, ROOT, OUT, ONAIR_BINARY } from './lib/server.mjs';
import { check, done, fail, note, waitFor } from './lib/tap.mjs';

const SECRET = 'webhook-secret-of-the-test';
const media = path.join(OUT, 'webhook-media');
const dir = path.join(media, 'recordings');
fs.rmSync(dir, { recursive: true, force: true });
fs.mkdirSync(dir, { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });
const clip = path.join(media, 'demo.webm');

// The application's receiver: keeps every POST; refuses the first with 503.
const posts = [];
const receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => { body += chunk; });
    req.on('end', () => {
        const refused = posts.length === 0;
        posts.push({ body, path: req.url, type: req.headers['content-type'], signature: req.headers['x-onair-signature'],
                     refused, at: Date.now() });
        res.writeHead(refused ? 503 : 204);
        res.end();
    });
});
await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/hooks/onair`;
const server = await startServer('webhook', { args: ['--webhook', hookUrl, '--webhook-secret', SECRET, '--record-dir', dir] });

// Runs `onair publish FILE URL` to its end (the clip is 10 s).
function publish(stream) {
    const child = spawn(ONAIR_BINARY, ['publish', clip, `${server.url}/whip/${stream}`], { stdio: 'ignore' });
    return { child, exited: new Promise((resolve) => child.once('exit', resolve)) };
}
const delivered = () => posts.filter((p) => !p.refused).map((p) => ({ ...JSON.parse(p.body), raw: p }));
const metric = async (result) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    return Number(new RegExp(`^onair_webhook_events_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
};

// A WHIP offer that is answered, but whose media never comes (its ICE never starts).
const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7 % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
const silentOffer = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0',
    'm=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 0.0.0.0', 'a=mid:0', 'a=sendonly', 'a=rtcp-mux',
    'a=ice-ufrag:sIlE', 'a=ice-pwd:silentsilentsilentsilent', `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:actpass', 'a=rtpmap:96 VP8/90000', ''].join('\r\n');

try {
    const silent = await fetch(`${server.url}/whip/silent`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: silentOffer });
    const silentLive = silent.status === 201 && (await (await fetch(`${server.url}/api/streams/silent`)).json()).live;
    if (silent.status === 201)
        await fetch(new URL(silent.headers.get('Location'), server.url), { method: 'DELETE' });
    const cam = publish('cam');
    await cam.exited;
    const all = await waitFor(() => {
        const d = delivered();
        return d.some((e) => e.event === 'recording.finished') && d;
    }, 15000);
    note('events:', (all || delivered()).map((e) => e.raw.body));
    const events = all || delivered();
    const live = events.find((e) => e.event === 'stream.live');
    const ended = events.find((e) => e.event === 'stream.ended');
    const finished = events.find((e) => e.event === 'recording.finished');

    check(live && live.stream === 'cam' && live.video === 'VP8' && live.audio === 'opus' &&
          Math.abs(live.time_ms - Date.now()) < 60000 && live.raw.path === '/hooks/onair' &&
          live.raw.type === 'application/json',
          'stream.live: POSTed as JSON to the URL, with the stream, its codecs and the time', live);
    const first = posts[0];
    check(first?.refused && live && JSON.parse(first.body).id === live.id && first.body === live.raw.body &&
          live.raw.at - first.at >= 400,
          'the receiver\'s 503 is tried again after a pause: the same event, the same id', { first, live });
    check(ended && ended.stream === 'cam' && ended.id > live?.id && ended.time_ms >= live?.time_ms,
          'stream.ended when the publisher leaves, numbered after stream.live', ended);
    const file = finished && path.join(dir, finished.file);
    check(finished && finished.stream === 'cam' && /^cam-\d{8}T\d{6}Z\.mkv$/.test(finished.file) &&
          finished.dir === dir && fs.existsSync(file) && finished.bytes > 100000 && finished.failed === false &&
          finished.download === `/api/recordings/${finished.file}`,
          `recording.finished names the file written (${finished?.bytes} bytes of media)`, finished);
    check(silentLive && /recording silent ended before its first keyframe: no file was made/.test(server.log()) &&
          !fs.readdirSync(dir).some((f) => f.startsWith('silent')) && !posts.some((p) => JSON.parse(p.body).stream === 'silent'),
          'a publisher whose offer was answered but whose media never came: no stream.live, no stream.ended, ' +
          'no recording.finished (no file was made, as the log says)',
          { status: silent.status, silentLive, logged: /recording silent ended before its first keyframe: no file was made/.test(server.log()) });
    const unsigned = posts.filter((p) => p.signature !== `sha256=${crypto.createHmac('sha256', SECRET).update(p.body).digest('hex')}`);
    check(posts.length >= 4 && unsigned.length === 0,
          'every POST carries X-Onair-Signature: sha256= the HMAC-SHA256 of its body with the secret', unsigned);
    check(await metric('delivered') === 3 && await metric('failed') === 0,
          '/metrics: 3 events delivered, none failed', { delivered: await metric('delivered'), failed: await metric('failed') });

    // The receiver goes away: the events are tried, logged and counted, and the stream carries on.
    await new Promise((resolve) => receiver.close(resolve));
    const cam2 = publish('cam2');
    const liveAgain = await waitFor(async () => {
        const r = await fetch(`${server.url}/api/streams/cam2`);
        return r.status === 200 && (await r.json()).live;
    }, 15000);
    const failedOne = await waitFor(async () => (await metric('failed')) >= 1, 10000);
    check(liveAgain && failedOne && /webhook http:\/\/127\.0\.0\.1:\d+\/\.\.\.: .*event not delivered: .*"stream\.live"/.test(server.log()),
          'with the receiver gone, stream.live fails after its tries (logged, counted) while cam2 is live',
          { liveAgain, failed: await metric('failed') });
    // A moderator ends the broadcast: the publisher's session is closed, and onair publish says so.
    const ended2 = await fetch(`${server.url}/api/streams/cam2`, { method: 'DELETE' });
    const endedBody = await ended2.json();
    const code = await Promise.race([cam2.exited, new Promise((resolve) => setTimeout(() => resolve('running'), 10000))]);
    const after = await fetch(`${server.url}/api/streams/cam2`);
    check(ended2.status === 200 && endedBody.live === false && code === 1 && after.status === 404 &&
          /publisher of cam2 closed: broadcast ended by DELETE \/api\/streams\/NAME/.test(server.log()),
          'DELETE /api/streams/cam2 ends its broadcast: 200, the publisher\'s session closed, onair publish exits 1',
          { status: ended2.status, endedBody, code, after: after.status });
    const again = await fetch(`${server.url}/api/streams/cam2`, { method: 'DELETE' });
    check(again.status === 404 && (await again.json()).error === 'the stream has no publisher',
          'and again: 404, the stream has no publisher', again.status);
    if (code === 'running')
        cam2.child.kill('SIGINT');
} catch (error) {
    fail('webhook', error);
} finally {
    receiver.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly (the events still queued end with it)', problems.join('; '));
}
done();
