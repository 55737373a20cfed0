// ICE restart and trickle through WHEP PATCH (RFC 9725 §4.3): a Chromium viewer restarts ICE
// mid-stream with If-Match "*", gets new credentials in an answer fragment, and keeps playing on
// the same session; and the PATCH errors a client can meet, each with its status and reason.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT } from './lib/server.mjs';
import { check, fail, done, waitFor, sleep } from './lib/tap.mjs';

const media = path.join(OUT, 'ice-restart-media');
fs.mkdirSync(media, { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });

const server = await startServer('ice_restart', { args: ['--source', `cam=${path.join(media, 'demo.webm')}`] });
const browser = await launchBrowser();

// In the page: a WHEP viewer with helpers to restart ICE and to send PATCHes.
async function setUpViewer(page) {
    await page.evaluate(async () => {
        const pc = new RTCPeerConnection();
        pc.addTransceiver('video', { direction: 'recvonly' });
        pc.addTransceiver('audio', { direction: 'recvonly' });
        const video = document.createElement('video');
        video.muted = true;
        video.autoplay = true;
        document.body.append(video);
        pc.ontrack = (event) => { video.srcObject = event.streams[0] || new MediaStream([event.track]); };
        await pc.setLocalDescription(await pc.createOffer());
        const r = await fetch('/whep/cam', { method: 'POST', headers: { 'Content-Type': 'application/sdp' },
                                             body: pc.localDescription.sdp });
        const answer = await r.text();
        await pc.setRemoteDescription({ type: 'answer', sdp: answer });
        const line = (sdp, key) => (sdp.match(new RegExp(`^a=${key}:(.*)$`, 'm')) || [])[1]?.trim();
        window.viewer = { pc, video, answer, location: r.headers.get('Location'), etag: r.headers.get('ETag') };
        window.line = line;
        window.frames = async () => {
            const stats = await pc.getStats();
            let frames = 0;
            stats.forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded || 0; });
            return frames;
        };
        window.patch = async (headers, body) => {
            const res = await fetch(window.viewer.location, { method: 'PATCH', headers, body });
            return { status: res.status, type: res.headers.get('Content-Type'), etag: res.headers.get('ETag'),
                     body: await res.text() };
        };
        // RFC 9725 §4.3.2: new credentials up in a fragment with If-Match "*", the server's new
        // ones back in the answer fragment, applied to the answer we already have.
        window.restartIce = async () => {
            pc.restartIce();
            const offer = await pc.createOffer();
            await pc.setLocalDescription(offer);
            const mid = line(offer.sdp, 'mid');
            const frag = `a=ice-ufrag:${line(offer.sdp, 'ice-ufrag')}\r\na=ice-pwd:${line(offer.sdp, 'ice-pwd')}\r\n` +
                         `m=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:${mid}\r\n`;
            const reply = await window.patch({ 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' }, frag);
            if (reply.status !== 200) return reply;
            const ufrag = line(reply.body, 'ice-ufrag'), pwd = line(reply.body, 'ice-pwd');
            const answer = window.viewer.answer.replace(/^a=ice-ufrag:.*$/gm, `a=ice-ufrag:${ufrag}`)
                .replace(/^a=ice-pwd:.*$/gm, `a=ice-pwd:${pwd}`);
            await pc.setRemoteDescription({ type: 'answer', sdp: answer });
            window.viewer.answer = answer;
            window.viewer.previousEtag = window.viewer.etag;
            window.viewer.etag = reply.etag;
            return { ...reply, clientUfrag: line(offer.sdp, 'ice-ufrag') };
        };
    });
}

async function viewers() {
    const r = await fetch(`${server.url}/api/streams/cam`);
    return (await r.json()).viewers;
}

try {
    const page = await openPage(browser, 'ice_restart', 'viewer');
    await page.goto(`${server.url}/`);
    await setUpViewer(page);
    const before = await waitFor(async () => { const f = await page.evaluate(() => window.frames()); return f > 30 && f; }, 15000);
    check(before > 30, 'the WHEP viewer decodes video before the restart', before);
    const firstUfrag = await page.evaluate(() => window.line(window.viewer.answer, 'ice-ufrag'));
    const firstEtag = await page.evaluate(() => window.viewer.etag);

    const reply = await page.evaluate(() => window.restartIce());
    check(reply.status === 200, 'PATCH with If-Match "*" restarts ICE: 200', reply);
    check((reply.type || '').startsWith('application/trickle-ice-sdpfrag'),
          'the answer is an application/trickle-ice-sdpfrag fragment', reply.type);
    const newUfrag = /^a=ice-ufrag:(.*)$/m.exec(reply.body || '')?.[1]?.trim();
    check(newUfrag && newUfrag !== firstUfrag && /^a=ice-pwd:/m.test(reply.body) &&
          /^a=candidate:.* 127\.0\.0\.1 \d+ typ host/m.test(reply.body) && /^a=end-of-candidates/m.test(reply.body),
          'the fragment carries new server credentials and the server\'s candidates', reply.body);
    check(reply.etag && reply.etag !== firstEtag, 'the session has a new ETag', `${firstEtag} -> ${reply.etag}`);

    // Chromium's transport moves to the new generation only when a check with the new
    // credentials succeeds: its selected pair then belongs to the new local ufrag.
    const transport = () => page.evaluate(async () => {
        const stats = await window.viewer.pc.getStats();
        let t = null;
        stats.forEach((s) => { if (s.type === 'transport') t = s; });
        const pair = t && stats.get(t.selectedCandidatePairId);
        return { ufrag: t?.iceLocalUsernameFragment, state: t?.iceState, pair: pair?.state,
                 changes: t?.selectedCandidatePairChanges };
    });
    const moved = await waitFor(async () => {
        const t = await transport();
        return t.ufrag === reply.clientUfrag && t.state === 'connected' && t.pair === 'succeeded' && t;
    }, 10000);
    check(moved, 'Chromium\'s ICE reconnects with the new credentials (its selected pair is of the new generation)',
          await transport());
    const start = await page.evaluate(() => window.frames());
    const after = await waitFor(async () => { const f = await page.evaluate(() => window.frames()); return f > start + 60 && f; }, 15000);
    check(after > start + 60, 'video keeps decoding after the restart (60 more frames)', `${start} -> ${after}`);
    const log = fs.readFileSync(path.join(OUT, 'ice_restart-server.log'), 'utf8');
    const sessions = new Set([...log.matchAll(/session (\w+): viewer of cam/g)].map((m) => m[1]));
    check(sessions.size === 1 && /ICE restart 1/.test(log) && (await viewers()) === 1,
          'the same session goes on: one viewer session in the log and in /api/streams', [...sessions]);

    // Trickle with the new ETag and the new ufrag: 204.
    const trickle = await page.evaluate((ufrag) => window.patch(
        { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': window.viewer.etag },
        `a=ice-ufrag:${ufrag}\r\na=ice-pwd:${window.line(window.viewer.pc.localDescription.sdp, 'ice-pwd')}\r\n` +
        'm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 2122260223 127.0.0.1 9 typ host\r\n' +
        'a=end-of-candidates\r\n'), reply.clientUfrag);
    check(trickle.status === 204, 'a trickle with the current ETag and ufrag answers 204', trickle);
    const frag = 'm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=candidate:1 1 udp 1 127.0.0.1 9 typ host\r\n';
    const stale = await page.evaluate((body) => window.patch(
        { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': window.viewer.previousEtag }, body), frag);
    check(stale.status === 412 && /ETag/.test(stale.body), 'the ETag from before the restart answers 412 with the reason', stale);
    const noMatch = await page.evaluate((body) => window.patch({ 'Content-Type': 'application/trickle-ice-sdpfrag' }, body), frag);
    check(noMatch.status === 428 && /If-Match/.test(noMatch.body), 'no If-Match and no ufrag to tell the generation by answers 428 with the reason', noMatch);
    const oldGeneration = await page.evaluate((body) => window.patch(
        { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': window.viewer.etag }, 'a=ice-ufrag:zzzz\r\n' + body), frag);
    check(oldGeneration.status === 422, 'candidates for another ufrag answer 422', oldGeneration);
    const garbage = await page.evaluate(() => window.patch(
        { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': window.viewer.etag }, 'm=video\r\n\u0001garbage'));
    check(garbage.status === 400 && /malformed/.test(garbage.body), 'a garbage fragment answers 400 malformed', garbage);
    const wrongType = await page.evaluate((body) => window.patch({ 'Content-Type': 'text/plain', 'If-Match': '*' }, body), frag);
    check(wrongType.status === 415, 'a PATCH of another type answers 415', wrongType);
    const unknown = await fetch(`${server.url}/session/0123456789abcdef0123456789abcdef`, {
        method: 'PATCH', headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': '*' }, body: frag });
    check(unknown.status === 404, 'a restart for an unknown session answers 404', unknown.status);
    await sleep(1000);
    const still = await page.evaluate(() => window.frames());
    check(still > after, 'and after all of that the video still decodes', `${after} -> ${still}`);
    // The watch page's own recovery: the ICE restart it does when its path stops answering,
    // called here on a healthy path (loopback cannot lose one); same session, video goes on.
    const watch = await openPage(browser, 'ice_restart', 'watch');
    await watch.goto(`${server.url}/watch/cam`);
    const frames = () => watch.evaluate(() => window.onair.stats.framesDecoded || 0);
    const playing = await waitFor(async () => (await frames()) > 30, 15000);
    check(playing, 'the watch page plays the stream', await frames());
    const sessionBefore = await watch.evaluate(() => window.onair.session?.url);
    await watch.evaluate(() => window.onair.restartIce());
    const state = await watch.evaluate(() => ({ restarts: window.onair.iceRestarts, connects: window.onair.connects,
                                                session: window.onair.session?.url }));
    check(state.restarts === 1 && state.connects === 1 && state.session === sessionBefore,
          'the watch page restarted ICE on the same session (no new session)', state);
    const watchStart = await frames();
    const watchAfter = await waitFor(async () => { const f = await frames(); return f > watchStart + 60 && f; }, 15000);
    check(watchAfter > watchStart + 60, 'the watch page keeps decoding after its ICE restart', `${watchStart} -> ${watchAfter}`);
    check(watch.problems.length === 0, 'the watch page logged no errors', watch.problems);

    // The refused PATCHes above log "Failed to load resource" by design; nothing else may.
    const problems = page.problems.filter((p) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(p));
    check(problems.length === 0, 'no other console errors', problems);
} catch (error) {
    fail('ICE restart scenario', error);
} finally {
    await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}
done();
