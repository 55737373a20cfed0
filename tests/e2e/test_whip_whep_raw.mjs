// test_whip_whep_raw: WHIP and WHEP spoken directly from page scripts (none of our pages):
// one publisher, two viewers, DELETE, a publisher that leaves and returns, signaling errors,
// and CORS for pages of other origins.
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { check, done, fail, note, sleep, waitFor } from './lib/tap.mjs';
import { whipPageHelpers } from './lib/whip_page.mjs';

const TEST = 'whip_whep_raw';
const NAME = `raw-${process.pid}`;

// Installed in the page after whipPageHelpers: bare RTCPeerConnections talking WHIP/WHEP with
// fetch, kept by label in window.peers.
function pageHelpers() {
    const headersOf = (response) => Object.fromEntries(response.headers.entries());

    // Opens a peer LABEL: role "whip" sends the fake camera and microphone, "whep" receives.
    // BASE is the server's origin, which may differ from the page's (CORS).
    window.openPeer = async (label, role, name, base = '') => {
        const pc = new RTCPeerConnection();
        if (role === 'whip') {
            const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480 } });
            for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
        } else {
            pc.addTransceiver('audio', { direction: 'recvonly' });
            pc.addTransceiver('video', { direction: 'recvonly' });
        }
        const { response, body } = await window.postOffer(pc, `${base}/${role}/${name}`);
        const result = { status: response.status, headers: headersOf(response), body };
        if (response.status !== 201) {
            pc.close();
            return result;
        }
        await pc.setRemoteDescription({ type: 'answer', sdp: body });
        const location = new URL(response.headers.get('Location'), response.url).href;
        window.peers[label] = { pc, location, etag: response.headers.get('ETag') };
        return result;
    };

    window.request = async (method, url, headers = {}, body = undefined) => {
        const response = await fetch(url, { method, headers, body });
        return { status: response.status, headers: headersOf(response), body: await response.text() };
    };

    // Ends a peer's session with DELETE on its Location, then closes it (closing first would
    // end the session by DTLS close alert, leaving nothing for the DELETE to end).
    window.closePeer = async (label) => {
        const peer = window.peers[label];
        delete window.peers[label];
        const result = await window.request('DELETE', peer.location);
        peer.pc.close();
        return result;
    };
}

// The lines of an SDP a reader needs to judge ICE: what the checks below look at.
const iceLines = (sdp) => sdp.split(/\r?\n/).filter((line) => /^(m=|c=|a=ice-lite|a=candidate)/.test(line));

async function streamInfo(url) {
    const response = await fetch(`${url}/api/streams/${NAME}`);
    return response.status === 200 ? response.json() : { status: response.status };
}

async function waitForFrames(page, label, more, from = 0) {
    let seen;
    await waitFor(async () => {
        seen = await page.evaluate((l) => window.inbound(l), label);
        return seen.frames > from + more && seen.audioPackets > 0;
    }, 15000);
    return seen;
}

// An error answer must have a 4xx status and a body that says why.
function checkRefusal(result, status, what) {
    check(result.status === status && result.body.trim().length > 0,
        `${what}: ${status} with a reason in the body`, { status: result.status, body: result.body });
}

async function signaling(page, server) {
    const publish = await page.evaluate((name) => window.openPeer('publisher', 'whip', name), NAME);
    check(publish.status === 201, 'WHIP POST answers 201', { status: publish.status, body: publish.body.slice(0, 300) });
    check(/application\/sdp/.test(publish.headers['content-type'] || ''), 'the WHIP answer is application/sdp',
        publish.headers);
    check(!!publish.headers.location && !!publish.headers.etag, 'the WHIP answer has Location and ETag',
        publish.headers);
    check(/^a=ice-lite/m.test(publish.body), 'the answer says the server is ICE-lite', iceLines(publish.body));
    const candidate = new RegExp(`^a=candidate:.* 127\\.0\\.0\\.1 ${server.mediaPort} typ host`, 'm');
    check(candidate.test(publish.body), 'the answer lists a host candidate on 127.0.0.1 and the media port',
        iceLines(publish.body));
    const connected = await waitFor(() => page.evaluate(() => window.peerState('publisher') === 'connected'), 10000);
    check(connected, 'the WHIP publisher connects', await page.evaluate(() => window.peerState('publisher')));

    for (const viewer of ['viewer1', 'viewer2']) {
        const watch = await page.evaluate(([label, name]) => window.openPeer(label, 'whep', name), [viewer, NAME]);
        check(watch.status === 201 && !!watch.headers.location && !!watch.headers.etag,
            `${viewer}: WHEP POST answers 201 with Location and ETag`, watch);
    }
    for (const viewer of ['viewer1', 'viewer2']) {
        const seen = await waitForFrames(page, viewer, 30);
        check(seen.frames > 30, `${viewer}: framesDecoded rises above 30`, seen);
        check(seen.audioPackets > 0, `${viewer}: audio packets arrive`, seen);
        check(seen.width > 0, `${viewer}: the video has a size`, seen);
    }
    let info = await waitFor(async () => {
        const s = await streamInfo(server.url);
        return s.viewers === 2 && s;
    }, 5000);
    check(info?.live === true && info?.viewers === 2, '/api/streams/NAME shows the stream live with 2 viewers',
        await streamInfo(server.url));
    const kinds = (info?.tracks || []).map((t) => `${t.kind}/${t.codec}`).sort().join(' ');
    check(/audio\/\w+/.test(kinds) && /video\/\w+/.test(kinds), '/api/streams/NAME lists the audio and video tracks',
        info?.tracks);

    // A trickled candidate with the session's ETag and the client's ufrag is accepted (and
    // needs nothing more: the server is ICE-lite). test_ice_restart covers the other rules.
    const patch = await page.evaluate(() => {
        const peer = window.peers.viewer2;
        const ufrag = /^a=ice-ufrag:(.*)$/m.exec(peer.pc.localDescription.sdp)[1].trim();
        return window.request('PATCH', peer.location,
            { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': peer.etag },
            `a=ice-ufrag:${ufrag}\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n` +
            'a=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\r\n');
    });
    check(patch.status === 204, 'PATCH with a trickle-ice-sdpfrag answers 204', patch);

    // DELETE ends a viewer: the count drops, the other viewer goes on.
    const location = await page.evaluate(() => window.peers.viewer2.location);
    const deleted = await page.evaluate(() => window.closePeer('viewer2'));
    check(deleted.status === 200 || deleted.status === 204, 'DELETE on the viewer\'s Location succeeds', deleted);
    info = await waitFor(async () => {
        const s = await streamInfo(server.url);
        return s.viewers === 1 && s;
    }, 5000);
    check(info?.viewers === 1, 'after DELETE /api/streams/NAME shows 1 viewer', await streamInfo(server.url));
    const again = await page.evaluate((url) => window.request('DELETE', url), location);
    check(again.status === 404, 'DELETE on an ended session answers 404', again);

    // The publisher leaves and another comes under the same name: the remaining viewer resumes
    // on its connection.
    const before = (await page.evaluate(() => window.inbound('viewer1'))).frames;
    const unpublished = await page.evaluate(() => window.closePeer('publisher'));
    check(unpublished.status === 200 || unpublished.status === 204, 'DELETE on the publisher\'s Location succeeds',
        unpublished);
    info = await waitFor(async () => {
        const s = await streamInfo(server.url);
        return s.live === false && s;
    }, 5000);
    check(info?.live === false, 'after the publisher\'s DELETE the stream is not live', await streamInfo(server.url));
    await sleep(1500);
    check(await page.evaluate(() => window.peerState('viewer1')) === 'connected',
        'the viewer stays connected while there is no publisher', await page.evaluate(() => window.peerState('viewer1')));
    const republish = await page.evaluate((name) => window.openPeer('publisher2', 'whip', name), NAME);
    check(republish.status === 201, 'a new publisher takes the same name', republish);
    const seen = await waitForFrames(page, 'viewer1', 30, before);
    check(seen.frames > before + 30, 'the viewer receives the new publisher on the same connection', { before, ...seen });

    // Refusals say why.
    const second = await page.evaluate((name) => window.openPeer('intruder', 'whip', name), NAME);
    checkRefusal(second, 409, 'a second publisher for a live stream');
    const wrongType = await page.evaluate((name) => window.request('POST', `/whep/${name}`,
        { 'Content-Type': 'text/plain' }, 'v=0\r\n'), NAME);
    checkRefusal(wrongType, 415, 'WHEP POST with Content-Type text/plain');
    const garbage = await page.evaluate((name) => window.request('POST', `/whep/${name}`,
        { 'Content-Type': 'application/sdp' }, 'this is not SDP'), NAME);
    checkRefusal(garbage, 400, 'WHEP POST with a body that is not SDP');
    const unknown = await page.evaluate(() => window.request('DELETE', '/session/no-such-session'));
    check(unknown.status === 404, 'DELETE on an unknown session answers 404', unknown);

    await page.evaluate(() => window.closePeer('viewer1'));
    await page.evaluate(() => window.closePeer('publisher2'));
}

// A page of another origin: the preflight must allow POST with application/sdp, and the
// answer's Location must be readable, so a WHEP player hosted elsewhere works.
async function cors(browser, server) {
    const preflight = await fetch(`${server.url}/whep/${NAME}`, {
        method: 'OPTIONS',
        headers: {
            Origin: 'http://player.example',
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'content-type',
        },
    });
    const allow = (name) => preflight.headers.get(name) || '';
    const headers = Object.fromEntries(preflight.headers.entries());
    check(preflight.status >= 200 && preflight.status < 300, 'OPTIONS preflight answers 2xx', preflight.status);
    check(allow('access-control-allow-origin') === '*' || allow('access-control-allow-origin') === 'http://player.example',
        'the preflight allows the other origin', headers);
    check(/\bPOST\b/.test(allow('access-control-allow-methods')) && /\bDELETE\b/.test(allow('access-control-allow-methods')),
        'the preflight allows POST and DELETE', headers);
    check(/content-type/i.test(allow('access-control-allow-headers')), 'the preflight allows the Content-Type header',
        headers);

    // The same from a real browser page at another origin (localhost versus 127.0.0.1).
    const page = await openPage(browser, TEST, 'other-origin');
    const port = new URL(server.url).port;
    await page.goto(`http://localhost:${port}/healthz`);
    await page.evaluate(whipPageHelpers);
    await page.evaluate(pageHelpers);
    const publish = await page.evaluate(([name, base]) => window.openPeer('p', 'whip', name, base), [NAME, server.url]);
    check(publish.status === 201 && !!publish.headers.location,
        'a page of another origin publishes over WHIP and reads Location', publish);
    const watch = await page.evaluate(([name, base]) => window.openPeer('v', 'whep', name, base), [NAME, server.url]);
    check(watch.status === 201 && !!watch.headers.location,
        'a page of another origin watches over WHEP and reads Location', watch);
    if (watch.status === 201) {
        const seen = await waitForFrames(page, 'v', 10);
        check(seen.frames > 10, 'the cross-origin viewer decodes frames', seen);
        const deleted = await page.evaluate(() => window.closePeer('v'));
        check(deleted.status === 200 || deleted.status === 204, 'a page of another origin ends its session with DELETE',
            deleted);
    }
    if (publish.status === 201) await page.evaluate(() => window.closePeer('p'));
    return page;
}

let server;
let browser;
try {
    server = await startServer(TEST);
    note(`server ${server.url} pid ${server.pid}, log ${server.logPath}`);
    browser = await launchBrowser();
    const page = await openPage(browser, TEST, 'page');
    // A plain document of the server's origin, so the script's fetches are same-origin.
    await page.goto(`${server.url}/healthz`);
    await page.evaluate(whipPageHelpers);
    await page.evaluate(pageHelpers);
    await signaling(page, server);
    const other = await cors(browser, server);
    // Refusals show up as "Failed to load resource" console errors, which are expected here.
    const unexpected = [...page.problems, ...other.problems].filter((p) => !/Failed to load resource/.test(p));
    check(unexpected.length === 0, 'no unexpected console errors', unexpected);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await browser?.close().catch(() => {});
    if (server) {
        const problems = await server.stop();
        check(problems.length === 0, 'the server ran and stopped cleanly', problems);
    }
    done();
}
