// test_simulcast: a browser publishing its camera in three simulcast layers (rids q, h, f at a
// quarter, half and full 1280x720, smallest first, as most pages list them). The server takes
// every layer in its answer, so the browser sends all three (without simulcast in the answer a
// browser sends only its first encoding, here the smallest); viewers get the best layer that
// flows: the full one once the browser sends it, and the half one, still decoding, when the
// publisher turns the full one off. A viewer asking for low quality (?quality=low) gets the
// smallest layer meanwhile, and moves to the full, the half (medium) and back to the smallest
// when it changes its choice while it watches (PUT /session/ID/quality), as our watch page does
// with its Quality menu. The server's
// recording of the stream plays across the switches: frames of both sizes decode in ffprobe.
// Our publish page, with Simulcast ticked, sends the three layers too.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { check, done, fail, note, waitFor } from './lib/tap.mjs';
import { whipPageHelpers } from './lib/whip_page.mjs';

const TEST = 'simulcast';
const NAME = `simulcast-${process.pid}`;
const RECORDINGS = fs.mkdtempSync('/tmp/onair-simulcast-');

// Installed in the page after whipPageHelpers: a WHIP publisher with three layers and WHEP
// viewers, kept by label.
function pageHelpers() {
    async function signal(pc, url) {
        const { response, body } = await window.postOffer(pc, url);
        if (response.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: body });
        return { status: response.status, body, location: response.headers.get('Location') };
    }

    window.publish = async (name) => {
        const pc = new RTCPeerConnection();
        const media = await navigator.mediaDevices.getUserMedia({
            audio: true, video: { width: 1280, height: 720 },
        });
        pc.addTransceiver(media.getAudioTracks()[0], { direction: 'sendonly', streams: [media] });
        const video = pc.addTransceiver(media.getVideoTracks()[0], {
            direction: 'sendonly',
            streams: [media],
            sendEncodings: [
                { rid: 'q', scaleResolutionDownBy: 4 },
                { rid: 'h', scaleResolutionDownBy: 2 },
                { rid: 'f' },
            ],
        });
        window.peers.publisher = { pc, sender: video.sender };
        return signal(pc, `/whip/${name}`);
    };

    // What the publisher's browser sends, by rid.
    window.layersSent = async () => {
        const layers = {};
        (await window.peers.publisher.pc.getStats()).forEach((s) => {
            if (s.type === 'outbound-rtp' && s.kind === 'video') {
                layers[s.rid] = { packets: s.packetsSent || 0, width: s.frameWidth || 0 };
            }
        });
        return layers;
    };

    window.setFullLayer = async (active) => {
        const { sender } = window.peers.publisher;
        const params = sender.getParameters();
        params.encodings.find((e) => e.rid === 'f').active = active;
        await sender.setParameters(params);
    };

    // Closing the publisher's connection ends its session (DTLS close alert), and the recording.
    window.stopPublishing = () => window.peers.publisher.pc.close();

    // QUERY: what follows the WHEP URL (?quality=low).
    window.watch = async (label, name, query = '') => {
        const pc = new RTCPeerConnection();
        pc.addTransceiver('audio', { direction: 'recvonly' });
        pc.addTransceiver('video', { direction: 'recvonly' });
        window.peers[label] = { pc };
        return signal(pc, `/whep/${name}${query}`);
    };
}

// Waits until viewer LABEL shows frames WIDTH wide, then for 30 more decoded frames.
async function decodesAt(page, label, width, what) {
    let seen;
    const reached = await waitFor(async () => {
        seen = await page.evaluate((l) => window.inbound(l), label);
        return seen.width === width;
    }, 20000, 250);
    check(reached, `${label}: ${what} (frames ${width} wide)`, seen);
    const from = seen.frames;
    const going = await waitFor(async () => {
        seen = await page.evaluate((l) => window.inbound(l), label);
        return seen.frames >= from + 30 && seen.width === width;
    }, 10000, 250);
    check(going && seen.audioPackets > 0, `${label}: keeps decoding at that size, with audio`,
        { from, seen });
}

// Waits until watch page PAGE plays frames WIDTH wide.
async function playsAt(page, width, what) {
    let stats;
    let state;
    const reached = await waitFor(async () => {
        [stats, state] = await page.evaluate(() => [window.onair.stats, window.onair.state]);
        return stats.width === width && state === 'playing';
    }, 20000, 250);
    check(reached, `${what} (${width} wide)`, { state, stats });
}

// Closes one of our pages, which must have shown no error.
async function closeClean(page, what) {
    const errors = page.problems.filter((p) => !/Failed to load resource.*404/.test(p));
    check(errors.length === 0, `${what} shows no errors`, errors);
    await page.close();
}

// Our publish page with Simulcast ticked sends three layers: its watch page plays the full one,
// and the smallest with ?quality=low.
async function publishPageSimulcast(browser, server) {
    const name = `${NAME}-page`;
    const publisher = await openPage(browser, TEST, 'publisher');
    await publisher.goto(`${server.url}/publish/${name}`);
    await publisher.check('#simulcast');
    await publisher.evaluate(() => window.onair.start());
    const live = await waitFor(() => publisher.evaluate(() => window.onair.state === 'live'), 15000);
    check(live, 'the publish page with Simulcast ticked goes live', live);
    const high = await openPage(browser, TEST, 'page-high');
    const low = await openPage(browser, TEST, 'page-low');
    await high.goto(`${server.url}/watch/${name}`);
    await low.goto(`${server.url}/watch/${name}?quality=low`);
    await playsAt(high, 1280, 'its watch page plays the full layer');
    await playsAt(low, 320, 'its watch page with ?quality=low plays the smallest');
    const info = await (await fetch(`${server.url}/api/streams/${name}`)).json();
    const layers = info.tracks?.find((t) => t.kind === 'video')?.layers ?? [];
    check(layers.length === 3, 'the API lists the page\'s three layers', layers);
    await closeClean(high, 'its watch page');
    await closeClean(low, 'its low quality watch page');
    await publisher.evaluate(() => window.onair.stop());
    await closeClean(publisher, 'the publish page');
}

// How many video frames of each width ffprobe decodes in FILE.
function frameWidths(file) {
    const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries',
        'frame=width', '-of', 'csv=p=0', file]).toString();
    const widths = {};
    for (const w of out.split('\n').filter(Boolean)) widths[w] = (widths[w] || 0) + 1;
    return widths;
}

async function metric(server, name) {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : NaN;
}

let server;
let browser;
try {
    server = await startServer(TEST, { args: ['--record-dir', RECORDINGS, '--record', NAME] });
    note(`server ${server.url} pid ${server.pid}, log ${server.logPath}`);
    browser = await launchBrowser();
    const page = await openPage(browser, TEST, 'page');
    await page.goto(`${server.url}/healthz`);
    await page.evaluate(whipPageHelpers);
    await page.evaluate(pageHelpers);

    const published = await page.evaluate((name) => window.publish(name), NAME);
    const sim = published.body.split(/\r?\n/).filter((l) => /^a=(rid|simulcast)/.test(l));
    const takesAll = sim.includes('a=simulcast:recv q;h;f') &&
        ['q', 'h', 'f'].every((rid) => sim.includes(`a=rid:${rid} recv`));
    check(published.status === 201 && takesAll,
        'the WHIP answer takes the three layers (a=rid recv, a=simulcast:recv q;h;f)',
        { status: published.status, sim });

    let layers;
    const allSent = await waitFor(async () => {
        layers = await page.evaluate(() => window.layersSent());
        return ['q', 'h', 'f'].every((rid) => layers[rid]?.packets > 0) && layers.f.width === 1280;
    }, 20000, 250);
    check(allSent, 'the publishing browser sends all three layers, the full one 1280 wide', layers);

    const watched = await page.evaluate((name) => window.watch('viewer1', name), NAME);
    check(watched.status === 201, 'viewer1: WHEP answers 201', watched.status);
    await decodesAt(page, 'viewer1', 1280, 'gets the full layer');

    // The API shows the layers: three coming in, the one forwarded the one with most bitrate.
    let video;
    const shown = await waitFor(async () => {
        const info = await (await fetch(`${server.url}/api/streams/${NAME}`)).json();
        video = info.tracks?.find((t) => t.kind === 'video');
        const layers = video?.layers ?? [];
        const top = Math.max(...layers.map((l) => l.bitrate));
        return layers.length === 3 && layers.filter((l) => l.forwarded).length === 1 &&
            layers.find((l) => l.forwarded).bitrate === top && top > 0;
    }, 5000, 250);
    check(shown, 'GET /api/streams/NAME lists three layers, the highest bitrate one forwarded', video);

    // A viewer asking for low quality gets the smallest layer, while the others keep the full one.
    const low = await page.evaluate((name) => window.watch('low', name, '?quality=low'), NAME);
    check(low.status === 201, 'a viewer asking ?quality=low: WHEP answers 201', low.status);
    await decodesAt(page, 'low', 320, 'gets the smallest layer');
    const full = await page.evaluate((l) => window.inbound(l), 'viewer1');
    check(full.width === 1280, 'viewer1 still gets the full layer meanwhile', full);
    const lowShown = await waitFor(async () => {
        const info = await (await fetch(`${server.url}/api/streams/${NAME}`)).json();
        video = info.tracks?.find((t) => t.kind === 'video');
        const layers = (video?.layers ?? []).filter((l) => l.bitrate > 0);
        const rates = layers.map((l) => l.bitrate).sort((a, b) => a - b);
        const counts = info.viewers_by_quality ?? {};
        return layers.length === 3 && layers.find((l) => l.forwarded_low)?.bitrate === rates[0] &&
            layers.find((l) => l.forwarded_medium)?.bitrate === rates[1] &&
            info.viewers === 2 && counts.high === 1 && counts.low === 1 && counts.medium === 0;
    }, 5000, 250);
    check(lowShown, 'the API marks the smallest layer forwarded_low and the middle one forwarded_medium, ' +
        'and counts 1 of 2 viewers at low', video);
    const lowMetric = await metric(server,
        `onair_stream_viewers_by_quality{stream="${NAME}",quality="low"}`);
    check(lowMetric === 1, '/metrics counts the viewer of low quality', lowMetric);

    // Its choice changes while it watches: PUT /session/ID/quality.
    const quality = async (location, body) => {
        const response = await fetch(`${server.url}${location}/quality`, { method: 'PUT', body });
        return { status: response.status, body: await response.text() };
    };
    const up = await quality(low.location, 'high');
    check(up.status === 204, 'PUT /session/ID/quality "high" answers 204', up);
    await decodesAt(page, 'low', 1280, 'moves up to the full layer');
    const middle = await quality(low.location, 'medium');
    check(middle.status === 204, 'PUT /session/ID/quality "medium" answers 204', middle);
    await decodesAt(page, 'low', 640, 'moves to the half layer, the second best of three');
    const down = await quality(low.location, 'low\n');
    check(down.status === 204, 'PUT /session/ID/quality "low" answers 204', down);
    await decodesAt(page, 'low', 320, 'moves back down to the smallest layer');

    // Choices that are none get a reason.
    const bad = await fetch(`${server.url}/whep/${NAME}?quality=best`, {
        method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: 'v=0\r\n',
    });
    const badBody = await bad.text();
    check(bad.status === 400 && /quality is high .*, medium, low, or auto/.test(badBody),
        'WHEP with ?quality=best: 400 saying the choices', { status: bad.status, badBody });
    const ultra = await quality(low.location, 'ultra');
    check(ultra.status === 400 && /quality is high/.test(ultra.body),
        'PUT quality "ultra": 400 saying the choices', ultra);
    const nobody = await quality('/session/no-such-session', 'low');
    check(nobody.status === 404, 'PUT quality on no session: 404', nobody);
    const publisher = await quality(published.location, 'low');
    check(publisher.status === 409, 'PUT quality on a publisher\'s session: 409', publisher);

    // The watch page: opened with ?quality=low it plays the smallest layer; its Quality menu
    // moves it to the full one, then the half one.
    const watcher = await openPage(browser, TEST, 'watcher');
    await watcher.goto(`${server.url}/watch/${NAME}?quality=low`);
    await playsAt(watcher, 320, 'the watch page opened with ?quality=low plays the smallest layer');
    await watcher.selectOption('#quality', 'high');
    await playsAt(watcher, 1280, 'the watch page moves to the full layer when High is chosen');
    await watcher.selectOption('#quality', 'medium');
    await playsAt(watcher, 640, 'the watch page moves to the half layer when Medium is chosen');
    await closeClean(watcher, 'the watch page');

    const late = await page.evaluate((name) => window.watch('viewer2', name), NAME);
    check(late.status === 201, 'viewer2 (joining later): WHEP answers 201', late.status);
    await decodesAt(page, 'viewer2', 1280, 'joins on the full layer');

    // The publisher stops its full layer (as a browser does when its bandwidth falls).
    await page.evaluate(() => window.setFullLayer(false));
    await decodesAt(page, 'viewer1', 640, 'moves to the half layer when the full one stops');
    await decodesAt(page, 'viewer2', 640, 'moves to the half layer too');
    await decodesAt(page, 'low', 320, 'stays on the smallest layer');
    const switches = await metric(server, 'onair_simulcast_layer_switches_total');
    check(switches >= 2, '/metrics counts the layer switches (up to full, down to half)', switches);

    // The recording followed the forwarded layers: it decodes at both sizes.
    await page.evaluate(() => window.stopPublishing());
    const file = await waitFor(async () => {
        const list = await (await fetch(`${server.url}/api/recordings`)).json();
        const r = list.recordings?.find((x) => x.stream === NAME);
        return r && !r.active && r.file;
    }, 15000, 250);
    const widths = file ? frameWidths(path.join(RECORDINGS, file)) : {};
    check((widths['1280'] || 0) >= 30 && (widths['640'] || 0) >= 30,
        'the recording decodes across the switches: frames 1280 and 640 wide', widths);

    await publishPageSimulcast(browser, server);

    // The bare /healthz document has no icon: its /favicon.ico 404 is the only error expected.
    const unexpected = page.problems.filter((p) => !/Failed to load resource.*404/.test(p));
    check(unexpected.length === 0, 'no unexpected console errors', unexpected);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await browser?.close().catch(() => {});
    if (server) {
        const problems = await server.stop();
        check(problems.length === 0, 'the server ran and stopped cleanly', problems);
    }
    fs.rmSync(RECORDINGS, { recursive: true, force: true });
    done();
}
