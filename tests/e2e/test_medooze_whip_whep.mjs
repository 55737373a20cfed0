// Another WHIP/WHEP client than ours: medooze's whip-whep (npm, by an author of RFC 9725), in
// Chromium. It publishes the fake camera with a bearer token and watches with another, trickles
// its candidates in PATCHes (its WHEP client without If-Match, which the server takes when the
// fragment names the session's ufrag), and ends both sessions with DELETE. Without a token it is refused as a WHIP client sees it: 401. The viewer decodes frames.
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT } from './lib/server.mjs';
import { check, done, fail, waitFor } from './lib/tap.mjs';

const library = path.join(ROOT, 'tests/e2e/node_modules/whip-whep');
const server = await startServer('medooze_whip_whep', {
    args: ['--publish-token', 'studio=pub-token', '--watch-token', 'studio=view-token'],
});
const browser = await launchBrowser();

// A page on the server's origin that can import the library from /medooze/.
async function clientPage(label) {
    const page = await openPage(browser, 'medooze_whip_whep', label);
    await page.route('**/medooze/*.js', (route) => route.fulfill({
        contentType: 'text/javascript',
        body: fs.readFileSync(path.join(library, path.basename(new URL(route.request().url()).pathname))),
    }));
    page.patches = [];
    page.on('response', async (r) => {
        if (r.request().method() !== 'PATCH') return;
        page.patches.push({ status: r.status(), ifMatch: (await r.request().allHeaders())['if-match'] ?? null });
    });
    await page.goto(`${server.url}/healthz`);
    return page;
}

// Sessions of both roles, from /metrics.
const sessions = async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    return [...metrics.matchAll(/^onair_sessions\{role="\w+"\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
};

try {
    const publisher = await clientPage('publisher');
    const refused = await publisher.evaluate(async (url) => {
        const { WHIPClient } = await import('/medooze/whip.js');
        const pc = new RTCPeerConnection();
        pc.addTransceiver('video', { direction: 'sendonly' });
        try {
            await new WHIPClient().publish(pc, url);
            return 'published';
        } catch (error) {
            return error.message;
        } finally {
            pc.close();
        }
    }, `${server.url}/whip/studio`);
    check(refused === 'Request rejected with status 401', 'whip-whep without a token is refused with 401', refused);

    const published = await publisher.evaluate(async (url) => {
        const { WHIPClient } = await import('/medooze/whip.js');
        const media = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 360 }, audio: true });
        const pc = new RTCPeerConnection();
        for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly' });
        window.whip = new WHIPClient();
        await window.whip.publish(pc, url, 'pub-token');
        window.pc = pc;
        return true;
    }, `${server.url}/whip/studio`);
    const live = await waitFor(async () => {
        // studio has a watch token: the API shows it only to a request with one.
        const r = await fetch(`${server.url}/api/streams/studio`, { headers: { Authorization: 'Bearer view-token' } });
        return r.status === 200 && (await r.json()).live;
    }, 15000);
    check(published && live, 'whip-whep publishes the camera with its token', { published, live });

    const viewer = await clientPage('viewer');
    await viewer.evaluate(async (url) => {
        const { WHEPClient } = await import('/medooze/whep.js');
        const pc = new RTCPeerConnection();
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.addTransceiver('video', { direction: 'recvonly' });
        window.whep = new WHEPClient();
        await window.whep.view(pc, url, 'view-token');
        window.pc = pc;
    }, `${server.url}/whep/studio`);
    const frames = await waitFor(() => viewer.evaluate(async () => {
        let decoded = 0;
        (await window.pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') decoded = s.framesDecoded || 0;
        });
        return decoded > 30 && decoded;
    }), 20000);
    check(frames, `the whip-whep viewer decodes the stream (${frames} frames)`, frames);
    // The publisher sends the POST's ETag in If-Match; the viewer none, only the ufrag.
    const patched = { publisher: publisher.patches, viewer: viewer.patches };
    check(publisher.patches.length > 0 && publisher.patches.every((p) => p.status === 204 && p.ifMatch) &&
          viewer.patches.length > 0 && viewer.patches.every((p) => p.status === 204 && !p.ifMatch),
          'their trickled candidates are taken (204): with If-Match from WHIPClient, without from WHEPClient', patched);

    const before = await sessions();
    await viewer.evaluate(() => window.whep.stop());
    await publisher.evaluate(() => window.whip.stop());
    const after = await waitFor(async () => (await sessions()) === 0 && 0, 5000);
    check(before === 2 && after === 0, 'stop() ends both sessions with DELETE', { before, after: await sessions() });
} catch (error) {
    fail('medooze whip-whep', error);
} finally {
    await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}
done();
