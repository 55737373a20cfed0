// An edge over a lossy path, seen from a browser. Between the origin and the edge a relay
// (lib/lossy_udp_proxy.py) loses one video packet in 25, and the first retransmission of every
// second of those: the edge asks the origin for each loss, and again for each repair that does
// not come, on its own and when Chromium, watching the edge, NACKs it. Chromium gets every
// packet (none lost in its own statistics) and its video plays on.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT } from './lib/server.mjs';
import { check, done, fail, waitFor } from './lib/tap.mjs';

const media = path.join(OUT, 'edge-repair-media');
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });
// The origin's media port is bound to 127.0.0.1 and announced as 127.0.0.2, where the relay
// listens; VP8 is 96 in the edge's offer.
const origin = await startServer('edge-repair-origin', {
    publicIp: '127.0.0.2',
    args: ['--media-bind', '127.0.0.1', '--source', `demo=${path.join(media, 'demo.webm')}`],
});
const proxy = spawn('/usr/bin/python3', [path.join(ROOT, 'tests/e2e/lib/lossy_udp_proxy.py'), '127.0.0.2',
    String(origin.mediaPort), '127.0.0.1', String(origin.mediaPort), '96', '25', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
let proxyOut = '';
proxy.stdout.on('data', (chunk) => { proxyOut += chunk; });
const proxyExit = new Promise((resolve) => proxy.on('exit', resolve));
let edge;
let browser;
const metric = async (server, name) => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : NaN;
};
try {
    check(await waitFor(() => proxyOut.includes('ready'), 5000), 'the lossy relay listens on 127.0.0.2');
    edge = await startServer('edge-repair-edge', { args: ['--source', `relay=whep://127.0.0.1:${origin.port}/whep/demo`] });
    const live = await waitFor(async () => (await (await fetch(`${edge.url}/api/streams/relay`)).json()).live, 10000);
    check(live, 'the edge relays the origin\'s stream through the lossy path');
    browser = await launchBrowser();
    const page = await openPage(browser, 'edge-repair', 'viewer');
    await page.goto(`${edge.url}/watch/relay`);
    const video = () => page.evaluate(async () => {
        const stats = await window.onair.pc.getStats();
        let found = null;
        stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') found = r; });
        return found && { frames: found.framesDecoded, lost: found.packetsLost, received: found.packetsReceived,
            nacks: found.nackCount, plis: found.pliCount, freezes: found.freezeCount };
    }).catch(() => null);
    const started = await waitFor(async () => ((await video())?.frames || 0) > 30, 20000);
    check(started, 'Chromium watching the edge decodes video');
    await new Promise((resolve) => setTimeout(resolve, 10000));
    // RFC 3550 loss as Chromium counts it: expected minus received, a retransmission that came
    // counting as received. Losses go on, so at any instant a repair or two may be on its way;
    // every earlier loss repaired shows as a moment when the count is back at 0.
    let seen = await video();
    for (let i = 0; i < 30 && seen && seen.lost !== 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        seen = await video();
    }
    proxy.kill('SIGTERM');
    await proxyExit;
    const [, dropped, repairsDropped] = (proxyOut.match(/dropped (\d+) repairs-dropped (\d+)/) || []).map(Number);
    check(dropped >= 20 && repairsDropped >= 10,
          `the path lost video packets (${dropped}) and the first repair of half of them (${repairsDropped})`, proxyOut);
    check(seen && seen.nacks >= 5, `Chromium asked the edge for what it missed (${seen?.nacks} NACKs)`, seen);
    // Without the second ask it is 76. It read 2-3 under load while the edge asked again only
    // when Chromium NACKed: Chromium stops asking for a packet once the next keyframe plays
    // (tests/unit/test_sfu unrepaired_loss_asked_again_unprompted). It read 11 in one CI run,
    // and 30-58 in 3 runs of 12 by hand under load, while the edge's replay at the join stopped
    // at a late repair that completed the GOP: the packets after it came only as answers to
    // Chromium's NACKs, and Chromium counts a packet recovered from RTX as lost (test_sfu
    // gop_replayed_to_the_newest_when_a_late_repair_completes_it); 0 in 6 of 6 since.
    check(seen && seen.lost === 0 && seen.received > 1000,
          `and got every packet: ${seen?.lost} lost of ${seen?.received}`, seen);
    // A repair asked twice comes ~100 ms late, which Chromium may count as a short freeze (a
    // frame 150 ms past the average); without the second ask it played 59 frames in 10 s.
    check(seen && seen.frames > 250 && seen.freezes <= 2,
          `its video played on (${seen?.frames} frames, ${seen?.freezes} freezes, ${seen?.plis} keyframe requests)`, seen);
    const resent = await metric(origin, 'onair_retransmissions_total');
    // A loss in the relay's last moment may not be asked for before it stops: 2 to spare.
    check(resent >= dropped + repairsDropped - 2,
          `the origin resent each loss, and each lost repair again (${resent} for ${dropped} lost, ${repairsDropped} repairs)`, resent);
} catch (error) {
    fail('edge repair', error);
} finally {
    await browser?.close();
    proxy.kill('SIGTERM');
    const problems = [...(edge ? await edge.stop() : []), ...await origin.stop()];
    check(problems.length === 0, 'both servers ran and stopped cleanly', problems.join('; '));
}
done();
