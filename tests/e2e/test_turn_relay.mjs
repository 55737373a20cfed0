// test_turn_relay: media through a real TURN server. The test starts coturn on loopback with
// use-auth-secret and onair with --ice-server turn:... --turn-secret; a Chromium page publishes
// and another watches, both with iceTransportPolicy 'relay', so every packet goes through
// coturn. Checks: the minted credentials (GET /api/ice-servers, the WHIP/WHEP Link headers,
// the /offer reply) verify against the secret; the viewer decodes frames; the chosen candidate
// pair is a relay one on both pages; the server's own watch and publish pages, made
// relay-only, connect through coturn with the servers they fetch; a server with the wrong
// secret makes the relay fail on the page and breaks nothing else.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, OUT } from './lib/server.mjs';
import { check, done, fail, note, sleep, waitFor } from './lib/tap.mjs';

const TEST = 'turn_relay';
const NAME = `turn-${process.pid}`;
const SECRET = crypto.randomBytes(12).toString('hex');
const TTL = 3600;

// A port free for both UDP and TCP on 127.0.0.1 (coturn listens on both), found by letting
// the kernel pick a UDP one and trying TCP on it too.
async function freePort() {
    for (let attempt = 0; attempt < 20; attempt++) {
        const port = await new Promise((resolve, reject) => {
            const probe = dgram.createSocket('udp4');
            probe.on('error', reject);
            probe.bind(0, '127.0.0.1', () => {
                const { port: p } = probe.address();
                probe.close(() => resolve(p));
            });
        });
        const tcpFree = await new Promise((resolve) => {
            const probe = net.createServer();
            probe.on('error', () => resolve(false));
            probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
        });
        if (tcpFree) return port;
    }
    throw new Error('no port free for both UDP and TCP');
}

// Runs Debian's coturn on loopback with the TURN REST secret; stopped by its PID.
async function startCoturn(secret) {
    const port = await freePort();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'onair-coturn-'));
    const logPath = path.join(OUT, `${TEST}-coturn.log`);
    const args = [
        '-n', // no configuration file: everything is on this line
        '--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', `--listening-port=${port}`,
        '--min-port=49152', '--max-port=65535',
        '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=onair',
        '--no-cli', '--no-tls', '--no-dtls',
        // The peer (onair) is on 127.0.0.1, which coturn refuses to relay to by default.
        '--allow-loopback-peers',
        '--log-file=stdout', '--simple-log', '--verbose',
        `--pidfile=${dir}/turnserver.pid`, `--userdb=${dir}/turndb`,
    ];
    const logFd = fs.openSync(logPath, 'w');
    fs.writeSync(logFd, `# turnserver ${args.join(' ').replace(secret, 'SECRET')}\n`);
    const child = spawn('turnserver', args, { stdio: ['ignore', logFd, logFd] });
    fs.closeSync(logFd);
    let exit = null;
    const gone = new Promise((resolve) => child.on('exit', (code, signal) => resolve((exit = { code, signal }))));
    const killOnExit = () => { try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ } };
    process.on('exit', killOnExit);
    const log = () => fs.readFileSync(logPath, 'utf8');
    const ready = await waitFor(() => exit || /Total General servers/.test(log()), 10000, 100);
    if (!ready || exit) throw new Error(`coturn did not start (${JSON.stringify(exit)}); see ${logPath}`);
    return {
        port,
        pid: child.pid,
        logPath,
        log,
        running: () => exit === null,
        async stop() {
            process.off('exit', killOnExit);
            if (exit) return;
            child.kill('SIGTERM');
            if (!(await Promise.race([gone, sleep(5000).then(() => null)]))) {
                child.kill('SIGKILL');
                await gone;
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}

// What coturn recomputes: the password is base64(HMAC-SHA1(secret, username)).
const expectedCredential = (secret, username) =>
    crypto.createHmac('sha1', secret).update(username).digest('base64');

// Splits the Link header values (fetch joins repeated headers with ", ") into RTCIceServer
// entries: <URL>; rel="ice-server"; username="..."; credential="...".
function parseLinks(value) {
    const servers = [];
    for (const link of (value || '').split(/,\s*(?=<)/)) {
        const m = /^<([^>]*)>(.*)$/.exec(link.trim());
        if (!m) continue;
        const params = {};
        for (const p of m[2].matchAll(/;\s*([\w-]+)="([^"]*)"/g)) params[p[1]] = p[2];
        if (params.rel !== 'ice-server') continue;
        const server = { urls: m[1] };
        if (params.username) server.username = params.username;
        if (params.credential) server.credential = params.credential;
        if (params['credential-type']) server.credentialType = params['credential-type'];
        servers.push(server);
    }
    return servers;
}

// Checks one TURN username/credential pair: "EXPIRY:ID" with EXPIRY about TTL from now, and
// the credential coturn expects for SECRET.
function checkTurnCredentials(what, server, idPattern) {
    const [expiry, id] = (server?.username || '').split(':');
    const now = Date.now() / 1000;
    check(Math.abs(Number(expiry) - (now + TTL)) < 120 && idPattern.test(id || ''),
        `${what}: username is "<expiry in ${TTL} s>:<id>"`, server);
    check(server?.credential === expectedCredential(SECRET, server?.username || ''),
        `${what}: credential is base64(HMAC-SHA1(secret, username))`, server);
}

// Code run in the pages: a WHIP or WHEP client like web/whip.js, but with the ICE transport
// policy the test asks for, and with its ICE candidates, errors and stats kept for the test.
const PAGE_CLIENT = `
window.relayTest = {
    candidates: [],
    candidateErrors: [],
    async apiIceServers() {
        const response = await fetch('/api/ice-servers', { cache: 'no-store' });
        return (await response.json()).iceServers;
    },
    async connect(endpoint, iceServers, policy) {
        const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: policy });
        this.pc = pc;
        pc.onicecandidate = (e) => e.candidate && this.candidates.push(e.candidate.type);
        pc.onicecandidateerror = (e) =>
            this.candidateErrors.push({ code: e.errorCode, text: e.errorText, url: e.url });
        if (endpoint.startsWith('/whip/')) {
            const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
            for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
        } else {
            pc.addTransceiver('video', { direction: 'recvonly' });
            pc.addTransceiver('audio', { direction: 'recvonly' });
            pc.ontrack = (e) => {
                const video = document.createElement('video');
                video.muted = true;
                video.autoplay = true;
                video.srcObject = e.streams[0] || new MediaStream([e.track]);
                document.body.append(video);
            };
        }
        await pc.setLocalDescription(await pc.createOffer());
        const response = await fetch(endpoint, {
            method: 'POST',
            headers: { 'Content-Type': 'application/sdp' },
            body: pc.localDescription.sdp,
        });
        const answer = await response.text();
        if (response.status !== 201) return { status: response.status, body: answer };
        this.location = new URL(response.headers.get('Location'), location.href).href;
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        return { status: 201, link: response.headers.get('Link') };
    },
    // The /offer endpoint's reply for a receive-only offer; the session is ended at once.
    async seedOffer(stream) {
        const pc = new RTCPeerConnection();
        pc.addTransceiver('video', { direction: 'recvonly' });
        await pc.setLocalDescription(await pc.createOffer());
        const response = await fetch('/offer', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify({ sdp: pc.localDescription.sdp, type: 'offer', stream }),
        });
        const body = await response.json();
        pc.close();
        if (body.session) await fetch('/session/' + body.session, { method: 'DELETE' });
        return { status: response.status, body };
    },
    async state() {
        const pc = this.pc;
        const stats = await pc.getStats();
        let pair = null;
        let framesDecoded = 0;
        stats.forEach((s) => {
            if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
            if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded || 0;
        });
        let framesSent = 0;
        stats.forEach((s) => {
            if (s.type === 'outbound-rtp' && s.kind === 'video') framesSent += s.framesEncoded || 0;
        });
        const local = pair && stats.get(pair.localCandidateId);
        const remote = pair && stats.get(pair.remoteCandidateId);
        return {
            connectionState: pc.connectionState,
            iceConnectionState: pc.iceConnectionState,
            iceGatheringState: pc.iceGatheringState,
            localType: local?.candidateType || null,
            localRelayProtocol: local?.relayProtocol || null,
            localUrl: local?.url || null,
            remote: remote ? remote.candidateType + ' ' + remote.address + ':' + remote.port : null,
            framesDecoded,
            framesSent,
            candidates: this.candidates,
            candidateErrors: this.candidateErrors,
        };
    },
    async close() {
        if (this.location) await fetch(this.location, { method: 'DELETE' }).catch(() => {});
        this.pc?.close();
    },
};
`;

async function openClient(browser, server, label) {
    const page = await openPage(browser, TEST, label);
    // Any page of the server will do: the client needs its origin, not its scripts. The
    // browser's favicon request would be a 404 console error, so answer it here.
    await page.route('**/favicon.ico', (route) => route.fulfill({ status: 204 }));
    await page.goto(`${server.url}/healthz`);
    await page.addScriptTag({ content: PAGE_CLIENT });
    return page;
}

const pageState = (page) => page.evaluate(() => window.relayTest.state());

async function checkApi(server) {
    const response = await fetch(`${server.url}/api/ice-servers`);
    const body = await response.json();
    note('GET /api/ice-servers:', body);
    check(response.headers.get('cache-control') === 'no-store',
        'GET /api/ice-servers is not cacheable (Cache-Control: no-store)', response.headers.get('cache-control'));
    const list = body.iceServers || [];
    const stun = list.find((s) => !s.username);
    const turn = list.find((s) => s.username);
    check(list.length === 2 && JSON.stringify(stun?.urls) === JSON.stringify([`stun:127.0.0.1:${server.turnPort}`]),
        'GET /api/ice-servers lists the STUN URL without credentials', list);
    check(JSON.stringify(turn?.urls) === JSON.stringify([`turn:127.0.0.1:${server.turnPort}?transport=udp`]),
        'GET /api/ice-servers lists the TURN URL with a username and credential', list);
    checkTurnCredentials('GET /api/ice-servers', turn, /^[0-9a-f]{16}$/);
    const again = (await (await fetch(`${server.url}/api/ice-servers`)).json()).iceServers;
    check(again.find((s) => s.username)?.username !== turn?.username,
        'each GET /api/ice-servers mints a new username', again);
}

// Link headers: one per URL, TURN ones with credentials for the stream (RFC 9725 §4.6).
function checkLinks(what, link, server, stream) {
    const servers = parseLinks(link);
    note(`${what} Link:`, link);
    check(servers.length === 2 && servers[0].urls === `stun:127.0.0.1:${server.turnPort}` && !servers[0].username,
        `${what}: a Link header for the STUN URL`, link);
    const turn = servers.find((s) => s.urls.startsWith('turn:'));
    check(turn?.urls === `turn:127.0.0.1:${server.turnPort}?transport=udp` && turn.credentialType === 'password',
        `${what}: a Link header for the TURN URL with credential-type="password"`, link);
    checkTurnCredentials(`${what} Link`, turn, new RegExp(`^${stream}$`));
    return servers;
}

// Runs in a page before its scripts: its connections use relay candidates only, so they
// connect only if the servers from /api/ice-servers reached them before they gathered.
function relayOnly() {
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = function (config = {}) {
        return new Native({ ...config, iceTransportPolicy: 'relay' });
    };
    window.RTCPeerConnection.prototype = Native.prototype;
}

// Opens the server's page at PATH with relay-only connections.
async function openServerPage(browser, server, label, path) {
    const page = await openPage(browser, TEST, label);
    await page.addInitScript(relayOnly);
    await page.goto(`${server.url}${path}`);
    return page;
}

// Checks that PAGE (opened by openServerPage, LABEL) gets to READY (run in the page) over a
// candidate pair whose local side is relayed by coturn, with the server's TURN server.
async function checkPageRelays(label, page, server, ready) {
    const look = () => page.evaluate(async () => {
        const pc = window.onair.pc;
        const stats = await pc?.getStats();
        let local = null;
        stats?.forEach((s) => {
            if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
                local = stats.get(s.localCandidateId)?.candidateType;
            }
        });
        return {
            local,
            urls: pc?.getConfiguration().iceServers.flatMap((s) => [].concat(s.urls)),
            policy: pc?.getConfiguration().iceTransportPolicy,
            state: window.onair.state,
        };
    });
    // Chromium may report the state before its statistics name the nominated pair (a cached
    // report), so the pair is waited for too.
    const seen = await waitFor(async () => {
        const s = await page.evaluate(ready) && await look();
        return s?.local ? s : null;
    }, 20000) || await look();
    note(`${label}:`, seen);
    check(seen?.urls.includes(`turn:127.0.0.1:${server.turnPort}?transport=udp`),
        `${label}'s connection has the server's TURN server`, seen);
    check(seen?.local === 'relay' && seen.policy === 'relay',
        `${label} connects relay-only, through coturn`, seen);
    check(page.problems.length === 0, `${label}: no console errors`, page.problems);
}

async function run(coturn, server, wrongServer, browser) {
    await checkApi(server);

    // The publisher takes its servers from /api/ice-servers, as the pages do.
    const publisher = await openClient(browser, server, 'publisher');
    const apiServers = await publisher.evaluate(() => window.relayTest.apiIceServers());
    const published = await publisher.evaluate(
        ([servers, name]) => window.relayTest.connect(`/whip/${name}`, servers, 'relay'), [apiServers, NAME]);
    check(published.status === 201, 'WHIP with relay-only ICE answers 201', published);
    const whipServers = checkLinks('WHIP 201', published.link, server, NAME);

    let pub = await waitFor(async () => {
        const s = await pageState(publisher);
        return s.connectionState === 'connected' && s.localType ? s : null;
    }, 20000) || await pageState(publisher);
    note('publisher:', pub);
    check(pub.connectionState === 'connected', 'the relay-only publisher connects', pub);
    check(pub.localType === 'relay', 'publisher: the nominated pair\'s local candidate is "relay"', pub);
    check(pub.candidates.length > 0 && pub.candidates.every((t) => t === 'relay'),
        'publisher: only relay candidates were gathered', pub.candidates);
    check(pub.remote === `host 127.0.0.1:${server.mediaPort}`,
        "publisher: the pair's remote candidate is onair's media port", pub);

    // The viewer uses the servers from the WHIP 201's Link headers: they must work in a browser.
    const viewer = await openClient(browser, server, 'viewer');
    const watched = await viewer.evaluate(
        ([servers, name]) => window.relayTest.connect(`/whep/${name}`, servers, 'relay'), [whipServers, NAME]);
    check(watched.status === 201, 'WHEP with relay-only ICE, servers from the WHIP Link headers, answers 201', watched);
    checkLinks('WHEP 201', watched.link, server, NAME);
    const view = await waitFor(async () => {
        const s = await pageState(viewer);
        return s.framesDecoded > 30 && s.localType ? s : null;
    }, 20000) || await pageState(viewer);
    note('viewer:', view);
    check(view.framesDecoded > 30, 'viewer: more than 30 frames decoded through TURN', view);
    check(view.localType === 'relay', 'viewer: the nominated pair\'s local candidate is "relay"', view);
    pub = await pageState(publisher);
    check(pub.localType === 'relay' && pub.framesSent > 30, 'publisher: still on its relay pair, sending', pub);
    check(view.remote === `host 127.0.0.1:${server.mediaPort}`,
        "viewer: the pair's remote candidate is onair's media port", view);
    const allocated = (username) =>
        coturn.log().includes(`user <${username}>: incoming packet ALLOCATE processed, success`);
    const apiTurn = apiServers.find((s) => s.username);
    const linkTurn = whipServers.find((s) => s.username);
    check(allocated(apiTurn?.username) && allocated(linkTurn?.username),
        'coturn allocated for the /api/ice-servers user and for the Link header user',
        { api: apiTurn?.username, link: linkTurn?.username, log: coturn.logPath });

    // The pages fetch /api/ice-servers beside making their offer and hand the servers to
    // their connection before it gathers: made relay-only, each connects through coturn.
    const watchPage = await openServerPage(browser, server, 'watch-page', `/watch/${NAME}`);
    await checkPageRelays('the watch page', watchPage, server,
        () => window.onair.stats.framesDecoded > 0);
    await watchPage.close();
    const publishPage = await openServerPage(browser, server, 'publish-page', `/publish/${NAME}-page`);
    await publishPage.evaluate(() => window.onair.start());
    await checkPageRelays('the publish page', publishPage, server,
        () => window.onair.state === 'live');
    await publishPage.evaluate(() => window.onair.stop());
    await publishPage.close();

    // The seed's /offer reply carries the same servers.
    const seeded = await viewer.evaluate((name) => window.relayTest.seedOffer(`${name}-seed`), NAME);
    const seedTurn = seeded.body.iceServers?.find((s) => s.username);
    check(seeded.status === 200 && seeded.body.iceServers?.length === 2,
        '/offer reply has the two iceServers entries', seeded.body.iceServers);
    checkTurnCredentials('/offer iceServers', seedTurn, new RegExp(`^${NAME}-seed$`));

    // The wrong secret: coturn refuses the credentials; the page sees the TURN error and no
    // relay candidate, and the working session goes on.
    const before = view.framesDecoded;
    const wrong = await openClient(browser, wrongServer, 'wrong-secret');
    const wrongServers = await wrong.evaluate(() => window.relayTest.apiIceServers());
    const refused = await wrong.evaluate(
        ([servers, name]) => window.relayTest.connect(`/whip/${name}`, servers, 'relay'), [wrongServers, `${NAME}-wrong`]);
    check(refused.status === 201, 'the server with the wrong secret still answers WHIP 201', refused);
    const failed = await waitFor(async () => {
        const s = await pageState(wrong);
        return s.iceGatheringState === 'complete' && s.candidateErrors.length > 0 ? s : null;
    }, 20000) || await pageState(wrong);
    note('wrong secret:', failed);
    check(failed.candidateErrors.some((e) => e.code === 401),
        'wrong secret: the page gets an icecandidateerror 401 from the TURN server', failed.candidateErrors);
    check(!failed.candidates.includes('relay'), 'wrong secret: no relay candidate is gathered', failed.candidates);
    await sleep(3000);
    const still = await pageState(wrong);
    check(still.connectionState !== 'connected' && still.localType === null,
        'wrong secret: the page never connects', still);
    await wrong.evaluate(() => window.relayTest.close());
    check(!/:turn-\d+-wrong>: incoming packet ALLOCATE processed, success/.test(coturn.log()),
        'wrong secret: coturn allocated nothing for that user', coturn.logPath);

    const later = await pageState(viewer);
    check(later.framesDecoded > before + 30 && later.localType === 'relay',
        'the relayed viewer keeps decoding meanwhile', { before, ...later });
    check(coturn.running(), 'coturn is still running');
    for (const s of [server, wrongServer]) {
        const health = await fetch(`${s.url}/healthz`).then((r) => r.status).catch((e) => String(e));
        check(health === 200, `onair at ${s.url} is still healthy`, health);
    }
    for (const [label, page] of [['publisher', publisher], ['viewer', viewer], ['wrong-secret', wrong]]) {
        check(page.problems.length === 0, `${label} page: no console errors`, page.problems);
    }
    await viewer.evaluate(() => window.relayTest.close());
    await publisher.evaluate(() => window.relayTest.close());
}

let coturn;
let server;
let wrongServer;
let browser;
try {
    coturn = await startCoturn(SECRET);
    note(`coturn 127.0.0.1:${coturn.port} pid ${coturn.pid}, log ${coturn.logPath}`);
    const iceArgs = (secret) => [
        '--ice-server', `stun:127.0.0.1:${coturn.port}`,
        '--ice-server', `turn:127.0.0.1:${coturn.port}?transport=udp`,
        '--turn-secret', secret,
        '--turn-ttl', String(TTL),
    ];
    server = await startServer(TEST, { args: iceArgs(SECRET) });
    server.turnPort = coturn.port;
    note(`server ${server.url} pid ${server.pid}, log ${server.logPath}`);
    wrongServer = await startServer(TEST, { args: iceArgs(`not-${SECRET}`), logName: `${TEST}-wrong` });
    wrongServer.turnPort = coturn.port;
    browser = await launchBrowser();
    await run(coturn, server, wrongServer, browser);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await browser?.close().catch(() => {});
    for (const s of [server, wrongServer]) {
        if (!s) continue;
        const problems = await s.stop();
        check(problems.length === 0, `the server at ${s.url} ran and stopped cleanly`, problems);
    }
    await coturn?.stop();
    done();
}
