// Bearer tokens: `onair serve --publish-token` and `--watch-token` (RFC 9725 §4.5). A request
// without the stream's token gets 401 with a WWW-Authenticate challenge and the reason; onair's
// clients (publish, record, bench) send --token or ONAIR_TOKEN; the watch page asks for a token
// when the server wants one (and does not keep retrying), and takes it from #token= too; the
// publish page shows a token field after a 401 and goes live with it. Changing a stream (its
// chat) takes its publish token. A stream with a watch token is private: the API lists it, and
// gives TURN credentials for it, only with a token for it; /metrics takes --metrics-token.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT, ONAIR_BINARY } from './lib/server.mjs';
import { check, done, fail, sleep, waitFor } from './lib/tap.mjs';

const media = path.join(OUT, 'access-tokens-media');
fs.mkdirSync(path.join(media, 'recordings'), { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });
const clip = path.join(media, 'demo.webm');
const server = await startServer('access_tokens', {
    args: ['--source', `private=${clip}`, '--publish-token', 'cam=pub-secret',
           '--publish-token', 'any-stream', '--watch-token', 'private=look-secret',
           '--ice-server', 'turn:127.0.0.1:3478', '--turn-secret', 'turn-secret-of-the-test',
           '--record-dir', path.join(media, 'recordings'), '--metrics-token', 'scrape-secret'],
});
const browser = await launchBrowser();

const bearer = (token) => (token ? { Authorization: `Bearer ${token}` } : {});

async function post(pathname, token) {
    const headers = { 'Content-Type': 'application/sdp', ...bearer(token) };
    const r = await fetch(`${server.url}${pathname}`, { method: 'POST', headers, body: 'v=0\r\n' });
    return { status: r.status, challenge: r.headers.get('WWW-Authenticate'), body: (await r.text()).trim() };
}

async function get(pathname, token) {
    const r = await fetch(`${server.url}${pathname}`, { headers: bearer(token) });
    const text = await r.text();
    let body = null;
    try {
        body = JSON.parse(text);
    } catch {
        body = text;
    }
    return { status: r.status, challenge: r.headers.get('WWW-Authenticate'), body };
}

// Whether LIST (an iceServers array) holds the TURN URL with minted credentials.
const hasTurn = (list) => Array.isArray(list) &&
    list.some((s) => [s.urls].flat().includes('turn:127.0.0.1:3478') && s.username && s.credential);

// Runs `onair ARGS...` to its end: { status, stdout, stderr }.
function onair(args, env = {}) {
    const r = spawnSync(ONAIR_BINARY, args, { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const videoFrames = (file) => Number(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-count_packets',
    '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', file], { encoding: 'utf8' }).trim());

const watchState = (page) => page.evaluate(() => ({
    state: window.onair.state,
    connects: window.onair.connects,
    frames: window.onair.stats.framesDecoded || 0,
    formShown: !document.getElementById('token-form').hidden,
    error: document.getElementById('error').textContent,
    hash: location.hash,
}));

let publisher = null;
try {
    const log = server.log().split('\n').filter((l) => !l.startsWith('#')).join('\n'); // not the harness's command line
    check(/publishing needs a token: cam, every stream without tokens of its own/.test(log) &&
          /watching needs a token: private/.test(log) && !/pub-secret|look-secret/.test(log),
          'the server logs which streams need a token, and no token', log.split('\n').filter((l) => /token/.test(l)));
    check(/--watch-token: a token of 11 characters is easy to guess/.test(log),
          "and warns that this test's tokens are short", log.split('\n').filter((l) => /easy to guess/.test(l)));

    // Plain HTTP: the refusals a WHIP client sees.
    const none = await post('/whip/cam');
    check(none.status === 401 && none.challenge === 'Bearer realm="onair"' &&
          none.body === "publishing to 'cam' needs a token: send Authorization: Bearer TOKEN",
          'WHIP without a token: 401, a Bearer challenge and the reason', none);
    const wrong = await post('/whip/cam', 'any-stream');
    check(wrong.status === 401 && /error="invalid_token"/.test(wrong.challenge) &&
          /not one for publishing to 'cam'/.test(wrong.body),
          "WHIP with another stream's token: 401 invalid_token (a stream's own tokens replace the ones for every stream)", wrong);
    const right = await post('/whip/cam', 'pub-secret');
    check(right.status === 400, 'WHIP with the right token gets past the check to the offer itself (400 for a bare v=0)', right);
    const whep = await post('/whep/private', 'pub-secret');
    check(whep.status === 401 && /watching 'private'/.test(whep.body), 'WHEP of a stream with a watch token, with a publish token: 401', whep);
    const openWhep = await post('/whep/cam');
    check(openWhep.status === 400, 'WHEP of a stream without a watch token needs none', openWhep);
    const seed = await fetch(`${server.url}/offer`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ sdp: 'v=0\r\n', type: 'offer', stream: 'private' }) });
    const seedBody = await seed.json();
    check(seed.status === 401 && /watching 'private'/.test(seedBody.error), "the seed's /offer is held to the same tokens (JSON reason)",
          { status: seed.status, seedBody });
    const chatOff = (token) => fetch(`${server.url}/api/streams/cam/chat`, {
        method: 'PUT', body: JSON.stringify({ enabled: false }),
        headers: { 'Content-Type': 'application/json', ...bearer(token) } });
    const chatNoToken = await chatOff();
    const chatState = await (await fetch(`${server.url}/api/streams/cam/chat`)).json();
    check(chatNoToken.status === 401 && chatState.chat === true,
          "switching a stream's chat without its publish token: 401, and the chat stays on", { status: chatNoToken.status, chatState });
    const chatToken = await chatOff('pub-secret');
    check(chatToken.status === 200 && (await chatToken.json()).chat === false, 'with the publish token it switches', chatToken.status);
    await chatOff(null); // refused; chat stays off for the rest, which the pages do not need

    // TURN credentials go only to a client that may use the stream.
    const iceAny = await get('/api/ice-servers');
    check(iceAny.status === 400 && /\?stream=NAME&role=publish\|watch/.test(iceAny.body.error) && !hasTurn(iceAny.body.iceServers),
          'GET /api/ice-servers without a stream, on a server with tokens: 400 saying to name one, no credentials', iceAny);
    const icePrivate = await get('/api/ice-servers?stream=private&role=watch');
    check(icePrivate.status === 401 && /watching 'private' needs a token/.test(icePrivate.body.error) &&
          icePrivate.challenge === 'Bearer realm="onair"' && !hasTurn(icePrivate.body.iceServers),
          "ICE servers for watching 'private' without its token: 401, no credentials", icePrivate);
    const icePublishWrong = await get('/api/ice-servers?stream=cam&role=publish', 'any-stream');
    check(icePublishWrong.status === 401 && /not one for publishing to 'cam'/.test(icePublishWrong.body.error),
          "for publishing to 'cam' with another stream's token: 401", icePublishWrong);
    const granted = [await get('/api/ice-servers?stream=private&role=watch', 'look-secret'),
        await get('/api/ice-servers?stream=cam&role=publish', 'pub-secret'),
        await get('/api/ice-servers?stream=cam&role=watch')];
    check(granted.every((r) => r.status === 200 && hasTurn(r.body.iceServers)),
          'with the stream\'s token, or for an open stream, the TURN server with credentials', granted);
    const badRole = await get('/api/ice-servers?stream=cam&role=admin');
    check(badRole.status === 400 && /role is publish or watch/.test(badRole.body.error), 'an unknown role: 400', badRole);

    // onair publish: the refusal says what to do; ONAIR_TOKEN and --token are sent.
    const url = `${server.url}/whip/clip`;
    const refused = onair(['publish', clip, url]);
    check(refused.status !== 0 && /wants a token \(--token, or ONAIR_TOKEN\): HTTP 401: publishing to 'clip' needs a token/.test(refused.stderr),
          'onair publish without a token exits non-zero and says the server wants one', refused);
    const refusedWrong = onair(['publish', clip, url, '--token', 'pub-secret']);
    check(refusedWrong.status !== 0 && /not one for publishing to 'clip'/.test(refusedWrong.stderr),
          "onair publish --token with cam's token to another stream is refused", refusedWrong);
    const publishLog = fs.openSync(path.join(OUT, 'access_tokens-publish.log'), 'w');
    publisher = spawn(ONAIR_BINARY, ['publish', clip, url, '--loop'],
                      { stdio: ['ignore', publishLog, publishLog], env: { ...process.env, ONAIR_TOKEN: 'any-stream' } });
    fs.closeSync(publishLog);
    const live = await waitFor(async () => {
        const r = await fetch(`${server.url}/api/streams/clip`);
        return r.status === 200 && (await r.json()).live;
    }, 15000);
    check(live, 'onair publish with ONAIR_TOKEN (the token for every stream) goes live', live);

    // A stream with a watch token is private: listed, described and its recordings shown only
    // with a token for it.
    const names = (r) => (r.body.streams || []).map((st) => st.name);
    const listOpen = await get('/api/streams');
    const listWatch = await get('/api/streams', 'look-secret');
    check(listOpen.status === 200 && names(listOpen).includes('clip') && !names(listOpen).includes('private') &&
          names(listWatch).includes('private'),
          "GET /api/streams leaves out 'private' without its watch token, lists it with", { open: names(listOpen), watch: names(listWatch) });
    const oneOpen = await get('/api/streams/private');
    const onePublisher = await get('/api/streams/private', 'any-stream');
    check(oneOpen.status === 401 && /seeing 'private' needs a token/.test(oneOpen.body.error) &&
          onePublisher.status === 200 && onePublisher.body.live === true,
          "GET /api/streams/private: 401 without a token, its figures with a token that may publish to it", { oneOpen, onePublisher });
    const chatOpen = await get('/api/streams/private/chat');
    const chatWatch = await get('/api/streams/private/chat', 'look-secret');
    check(chatOpen.status === 401 && /seeing the chat of 'private' needs a token/.test(chatOpen.body.error) &&
          chatWatch.status === 200 && chatWatch.body.chat === true,
          "GET /api/streams/private/chat: 401 without a token, the chat's state with the watch token", { chatOpen, chatWatch });
    // --record-dir records every live stream.
    const recordings = async (token) => ((await get('/api/recordings', token)).body.recordings || []).map((r) => r.stream);
    const recOpen = await recordings();
    const recWatch = await recordings('look-secret');
    check(recOpen.includes('clip') && !recOpen.includes('private') && recWatch.includes('private'),
          "GET /api/recordings leaves out the private stream's recording without its watch token", { recOpen, recWatch });
    const privateFile = ((await get('/api/recordings', 'look-secret')).body.recordings || []).find((r) => r.stream === 'private')?.file;
    const fileUrl = `${server.url}/api/recordings/${privateFile}`;
    const dlOpen = await fetch(fileUrl);
    const dlWatch = await fetch(fileUrl, { headers: { Range: 'bytes=0-3', ...bearer('look-secret') } });
    const dlBytes = Buffer.from(await dlWatch.arrayBuffer());
    check(dlOpen.status === 401 && /downloading the recordings of 'private' needs a token/.test(await dlOpen.text()) &&
          dlWatch.status === 206 && dlBytes.equals(Buffer.from([0x1a, 0x45, 0xdf, 0xa3])),
          "downloading the private stream's recording: 401 without its watch token; with it, the file (Matroska's first bytes)",
          { open: dlOpen.status, watch: dlWatch.status, dlBytes });
    const delWatch = await fetch(fileUrl, { method: 'DELETE', headers: bearer('look-secret') });
    check(delWatch.status === 401 && /deleting the recordings of 'private'/.test(await delWatch.text()),
          'deleting it takes a publish token, not a watch token: 401', delWatch.status);

    // onair record and onair bench of the private stream.
    const noToken = onair(['record', `${server.url}/whep/private`, path.join(media, 'no.mkv'), '--duration', '2']);
    check(noToken.status !== 0 && /wants a token.*watching 'private'/.test(noToken.stderr),
          'onair record without the watch token exits non-zero with the reason', noToken);
    const recorded = path.join(media, 'private.mkv');
    const rec = onair(['record', `${server.url}/whep/private`, recorded, '--duration', '3', '--token', 'look-secret']);
    const frames = rec.status === 0 ? videoFrames(recorded) : 0;
    check(rec.status === 0 && frames > 30, `onair record --token records the private stream (${frames} video frames in 3 s)`, rec);
    const bench = onair(['bench', `${server.url}/whep/private`, '--viewers', '3', '--seconds', '3', '--json'],
                        { ONAIR_TOKEN: 'look-secret' });
    const figures = bench.status === 0 ? JSON.parse(bench.stdout) : {};
    check(figures.connected === 3 && figures.with_video === 3 && figures.srtp_auth_failures === 0,
          'onair bench with ONAIR_TOKEN: three viewers of the private stream get video', { bench, figures });

    // The watch page: asks for the token instead of retrying, then plays with it.
    const viewer = await openPage(browser, 'access_tokens', 'watch');
    await viewer.goto(`${server.url}/watch/private`);
    const asked = await waitFor(async () => {
        const s = await watchState(viewer);
        return s.state === 'needs a token' && s.formShown && s;
    }, 10000);
    await sleep(2500);
    const still = await watchState(viewer);
    check(asked && still.connects === 1 && /needs a token/.test(still.error),
          'the watch page without a token shows the token form and the reason, and tries no more', { asked, still });
    await viewer.fill('#token', 'look-secret');
    await viewer.click('#token-form button');
    const playing = await waitFor(async () => {
        const s = await watchState(viewer);
        return s.frames > 30 && s;
    }, 20000);
    check(playing && !playing.formShown && playing.hash === '#token=look-secret',
          'given the token, it plays, and keeps the token in its address (#token=)', playing || await watchState(viewer));
    const watchIce = await viewer.evaluate(() => window.onair.pc.getConfiguration().iceServers);
    check(hasTurn(watchIce), 'the watch page got the TURN server with its token', watchIce);
    await viewer.reload();
    const reloaded = await waitFor(async () => {
        const s = await watchState(viewer);
        return s.frames > 30 && s;
    }, 20000);
    check(reloaded && reloaded.connects === 1, 'reloaded with #token=, it plays at once', reloaded || await watchState(viewer));
    await viewer.close();

    // The publish page: a 401 brings up the token field; "Go live" with the token goes live.
    const pub = await openPage(browser, 'access_tokens', 'publish');
    await pub.goto(`${server.url}/publish/cam`);
    await waitFor(() => pub.evaluate(() => !!window.onair.media), 10000);
    const fieldBefore = await pub.isVisible('#token');
    await pub.click('#go');
    const failed = await waitFor(() => pub.evaluate(() => window.onair.state === 'failed' && {
        error: document.getElementById('error').textContent,
        fieldShown: !document.getElementById('token-label').hidden,
    }), 10000);
    check(!fieldBefore && failed && failed.fieldShown && /needs a token/.test(failed.error),
          'the publish page hides the token field until the server asks, then shows it with the reason', { fieldBefore, failed });
    await pub.fill('#token', 'pub-secret');
    await pub.click('#go');
    const wentLive = await waitFor(() => pub.evaluate(() => window.onair.state === 'live'), 15000);
    const info = await (await fetch(`${server.url}/api/streams/cam`)).json();
    check(wentLive && info.live, 'with the token it goes live', { wentLive, info });
    const publishIce = await pub.evaluate(() => window.onair.pc.getConfiguration().iceServers);
    check(hasTurn(publishIce), 'the publish page got the TURN server with its token', publishIce);
    await pub.close();

    const noScrape = await get('/metrics');
    const wrongScrape = await get('/metrics', 'look-secret');
    check(noScrape.status === 401 && /needs the --metrics-token/.test(noScrape.body) && !/onair_/.test(noScrape.body) &&
          wrongScrape.status === 401 && /invalid_token/.test(wrongScrape.challenge),
          '/metrics without the --metrics-token, or with a stream token: 401, no figures', { noScrape, wrongScrape });
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: bearer('scrape-secret') })).text();
    const refusals = Number(/^onair_unauthorized_requests_total (\d+)/m.exec(metrics)?.[1]);
    // 401s above: 6 by HTTP (WHIP, WHEP, /offer, chat), 2 for ICE servers, 1 for a stream's
    // figures and 1 for its chat, 2 for a recording's file, 3 to onair publish and record, 2 to
    // each page (its ICE servers and its offer), 2 for /metrics.
    check(refusals === 21, `/metrics counts the refusals (${refusals})`, refusals);
} catch (error) {
    fail('access tokens', error);
} finally {
    if (publisher && publisher.exitCode === null) {
        const exited = new Promise((resolve) => publisher.once('exit', resolve));
        publisher.kill('SIGINT');
        await exited;
    }
    await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}
done();
