// test_auto_quality: a viewer on a link too narrow for the full layer of a simulcast stream gets
// a smaller one without asking, and the full one again when the link widens. Our watch page
// watches at Auto quality (its default). The network is made of namespaces (lib/netns.mjs): onair
// and the publishing browser (our publish page, Simulcast ticked: 1280, 640 and 320 wide) in
// "pub", the watching browser behind a router in "client". A token bucket (tc tbf) on the
// router's port towards the client narrows the viewer's downlink to 350 kbit/s: the full layer's
// packets overflow its queue, the viewer's receiver reports show the loss, and onair moves it
// down a layer at a time (a keyframe each) until the loss ends, at the smallest layer. With the
// token bucket gone the reports stay clean, and onair tries a larger layer after 8 s of them, and
// the next after 8 s more: the full one again. The API and /metrics say what happened.
import { launchBrowser, openPage } from './lib/browser.mjs';
import { HTTP_PORT, MEDIA_PORT, PUB_IP, inNs, makeNetwork } from './lib/netns.mjs';
import { startServer } from './lib/server.mjs';
import { check, done, fail, note, sleep, waitFor } from './lib/tap.mjs';

const TEST = 'auto_quality';
const NAME = `auto-${process.pid}`;
const NARROW = '350kbit';

let net;
let server;
let publisherBrowser;
let viewerBrowser;
try {
    net = makeNetwork('aq');
    server = await startServer(TEST, {
        netns: net.ns.pub, host: PUB_IP, port: HTTP_PORT, mediaPort: MEDIA_PORT, publicIp: PUB_IP,
    });
    net.track(server.pid);
    note(`onair ${server.url} in ${net.ns.pub}, log ${server.logPath}`);
    // A camera needs a secure origin; the server is plain http on another address here.
    const secure = [`--unsafely-treat-insecure-origin-as-secure=${server.url}`];
    publisherBrowser = await launchBrowser({ netns: net.ns.pub, args: secure });
    viewerBrowser = await launchBrowser({ netns: net.ns.client, args: secure });

    const publisher = await openPage(publisherBrowser, TEST, 'publisher');
    await publisher.goto(`${server.url}/publish/${NAME}`);
    await publisher.check('#simulcast');
    await publisher.evaluate(() => window.onair.start());
    const live = await waitFor(
        () => publisher.evaluate(() => window.onair.state === 'live'), 30000);
    check(live, 'the publish page with Simulcast ticked goes live', live);
    // The API is reached from the publisher's page: this process is outside the namespaces.
    const api = () => publisher.evaluate(
        async (name) => (await fetch(`/api/streams/${name}`)).json(), NAME);
    const metrics = () => publisher.evaluate(async () => (await fetch('/metrics')).text());
    const metric = (text, name) =>
        Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1]);

    const viewer = await openPage(viewerBrowser, TEST, 'viewer');
    await viewer.goto(`${server.url}/watch/${NAME}`);
    const menu = await viewer.evaluate(() => document.getElementById('quality').value);
    check(menu === 'auto', 'the watch page\'s Quality menu starts at Auto', menu);
    // Waits until the watch page plays frames WIDTH wide (at most MS), for 30 frames.
    const playsAt = async (width, ms, what) => {
        let stats;
        let from = null;
        const reached = await waitFor(async () => {
            stats = await viewer.evaluate(
                () => ({ ...window.onair.stats, state: window.onair.state }));
            if (stats.width !== width || stats.state !== 'playing') from = null;
            else from ??= stats.framesDecoded;
            return from !== null && stats.framesDecoded >= from + 30;
        }, ms, 250);
        check(reached, `${what} (${width} wide)`, stats);
    };
    await playsAt(1280, 30000, 'the viewer plays the full layer on an open link');
    let info = await api();
    const layers = info.tracks?.find((t) => t.kind === 'video')?.layers ?? [];
    note('layers (bit/s):', layers.map((l) => l.bitrate).join(', '));
    check(info.viewers_auto === 1 && info.viewers_by_quality?.high === 1,
        'the API counts one viewer of automatic quality, at high', info);

    // Narrow the viewer's downlink. The token bucket holds 100 ms of queue; what overflows is lost.
    inNs(net.ns.router, 'tc', 'qdisc', 'add', 'dev', 'lan', 'root', 'tbf', 'rate', NARROW,
        'burst', '8kb', 'latency', '100ms');
    note(`the router now passes ${NARROW} to the viewer`);
    await playsAt(320, 40000, 'on the narrow link the viewer moves down to the smallest layer');
    info = await api();
    check(info.viewers_auto === 1 && info.viewers_by_quality?.low === 1,
        'the API counts the viewer at low, still automatic', info.viewers_by_quality);
    let text = await metrics();
    const down = metric(text, 'onair_auto_quality_steps_total{direction="down"}');
    check(down >= 1, '/metrics counts the steps down', down);
    check(metric(text, `onair_stream_viewers_auto{stream="${NAME}"}`) === 1,
        '/metrics counts the viewer of automatic quality');

    // Widen it again: larger layers are tried after a while without loss, up to the full one.
    // The freezes Chromium counts on the way are noted (a figure, not a verdict: a busy machine
    // freezes a picture too).
    const freezes = () => viewer.evaluate(async () => {
        let found = {};
        (await window.onair.pc.getStats()).forEach((s) => {
            if (s.type === 'inbound-rtp' && s.kind === 'video') {
                found = { count: s.freezeCount, seconds: s.totalFreezesDuration };
            }
        });
        return found;
    });
    inNs(net.ns.router, 'tc', 'qdisc', 'del', 'dev', 'lan', 'root');
    note('the router passes everything again');
    // Counted from 4 s on, when what the narrow link froze has played out and no step up has
    // come yet (the first needs 8 s without loss).
    await sleep(4000);
    const frozenBefore = await freezes();
    await playsAt(1280, 60000, 'on the open link again the viewer climbs back to the full layer');
    const frozenAfter = await freezes();
    note(`freezes while climbing: ${frozenAfter.count - frozenBefore.count}, ` +
        `${(frozenAfter.seconds - frozenBefore.seconds).toFixed(3)} s`);
    text = await metrics();
    const up = metric(text, 'onair_auto_quality_steps_total{direction="up"}');
    check(up >= 1, '/metrics counts the steps up', up);
    const log = server.log();
    check(/automatic quality/.test(log), 'the server logs the viewer\'s automatic quality');

    for (const [label, page] of [['publisher', publisher], ['viewer', viewer]]) {
        check(page.problems.length === 0, `${label} page: no console errors`, page.problems);
    }
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await viewerBrowser?.close().catch(() => {});
    await publisherBrowser?.close().catch(() => {});
    if (server) {
        const problems = await server.stop();
        net?.untrack(server.pid);
        check(problems.length === 0, 'the server ran and stopped cleanly', problems);
    }
    net?.remove();
    done();
}
