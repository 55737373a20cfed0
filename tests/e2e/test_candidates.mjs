// The server's candidates: --public-host writes a name browsers resolve (Chromium connects
// through "localhost"); --public-ip alone announces only that address (1:1 NAT, a cloud VM);
// with --announce-private the interfaces' addresses follow it; --media-bind ADDR alone announces
// ADDR, not every interface's. Answers are read from WHEP POSTs made by the page; only the
// localhost server is connected to (loopback only).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT } from './lib/server.mjs';
import { check, done, fail, waitFor } from './lib/tap.mjs';

const media = path.join(OUT, 'candidates-media');
fs.mkdirSync(media, { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });
const source = ['--source', `cam=${path.join(media, 'demo.webm')}`];
const browser = await launchBrowser();

// The candidate addresses of the server's answer to a WHEP offer made in PAGE (the offer's
// peer connection is closed without connecting).
async function answerCandidates(page, url) {
    await page.goto(`${url}/`);
    const candidates = await page.evaluate(async () => {
        const pc = new RTCPeerConnection();
        pc.addTransceiver('video', { direction: 'recvonly' });
        await pc.setLocalDescription(await pc.createOffer());
        const r = await fetch('/whep/cam', { method: 'POST', headers: { 'Content-Type': 'application/sdp' },
                                             body: pc.localDescription.sdp });
        const answer = await r.text();
        pc.close();
        if (r.headers.get('Location')) await fetch(r.headers.get('Location'), { method: 'DELETE' });
        return [...answer.matchAll(/^a=candidate:\S+ \d+ udp \d+ (\S+) \d+ typ host/gm)].map((m) => m[1]);
    });
    // Off the index page before its server stops: the page refreshes its list every few seconds
    // and would meet a closed port.
    await page.goto('about:blank');
    return candidates;
}

async function withServer(name, options, body) {
    const server = await startServer(name, options);
    try {
        await body(server);
    } catch (error) {
        fail(name, error);
    } finally {
        const problems = await server.stop();
        check(problems.length === 0, `${name}: the server ran and stopped cleanly`, problems.join('; '));
    }
}

try {
    const page = await openPage(browser, 'candidates', 'page');
    await withServer('candidates_host', { publicIp: '', args: ['--public-host', 'localhost', ...source] }, async (server) => {
        const candidates = await answerCandidates(page, server.url);
        check(candidates.length === 1 && candidates[0] === 'localhost', '--public-host localhost: the answer\'s one candidate is "localhost"', candidates);
        const watch = await openPage(browser, 'candidates', 'watch');
        await watch.goto(`${server.url}/watch/cam`);
        const frames = await waitFor(async () => {
            const f = await watch.evaluate(() => window.onair.stats.framesDecoded || 0);
            return f > 30 && f;
        }, 15000);
        check(frames, 'Chromium resolves it and plays the stream through it', frames);
        await watch.close();
    });
    await withServer('candidates_public', { publicIp: '127.0.0.2', args: source }, async (server) => {
        const candidates = await answerCandidates(page, server.url);
        check(candidates.length === 1 && candidates[0] === '127.0.0.2',
              '--public-ip alone: only that address is announced', candidates);
    });
    await withServer('candidates_private', { publicIp: '127.0.0.2', args: ['--announce-private', ...source] }, async (server) => {
        const candidates = await answerCandidates(page, server.url);
        check(candidates[0] === '127.0.0.2' && candidates.includes('127.0.0.1') &&
              new Set(candidates).size === candidates.length,
              'with --announce-private: the public address first, then the interfaces\' (each once)', candidates);
    });
    await withServer('candidates_bound', { publicIp: '', args: ['--media-bind', '127.0.0.1', ...source] }, async (server) => {
        const candidates = await answerCandidates(page, server.url);
        check(candidates.length === 1 && candidates[0] === '127.0.0.1',
              '--media-bind 127.0.0.1: the one address the media port listens on is announced', candidates);
    });
    check(page.problems.length === 0, 'no console errors', page.problems);
} catch (error) {
    fail('candidates', error);
} finally {
    await browser.close();
}
done();
