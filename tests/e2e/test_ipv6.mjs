// IPv6: a Chromium viewer and a Chromium publisher whose only path to the server is ::1 (the
// server's one candidate is [::1]); media flows and the selected pair is IPv6 on both ends.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer, ROOT, OUT } from './lib/server.mjs';
import { check, fail, done, waitFor } from './lib/tap.mjs';

const media = path.join(OUT, 'ipv6-media');
fs.mkdirSync(media, { recursive: true });
execFileSync(path.join(ROOT, 'scripts/make-demo-media'), [media], { stdio: 'ignore' });

const server = await startServer('ipv6', {
    publicIp: '::1',
    args: ['--media-bind', '::', '--source', `cam=${path.join(media, 'demo.webm')}`],
});
const browser = await launchBrowser();

// The selected candidate pair of PAGE's peer connection PC (a window path): addresses and types.
function selectedPair(page, pcPath) {
    return page.evaluate(async (where) => {
        const pc = where.split('.').reduce((o, k) => o?.[k], window);
        if (!pc) return null;
        const stats = await pc.getStats();
        let transport = null;
        stats.forEach((s) => { if (s.type === 'transport') transport = s; });
        const pair = transport && stats.get(transport.selectedCandidatePairId);
        if (!pair) return null;
        const local = stats.get(pair.localCandidateId), remote = stats.get(pair.remoteCandidateId);
        return { local: local?.address, remote: remote?.address, remotePort: remote?.port,
                 protocol: local?.protocol, state: pair.state };
    }, pcPath);
}

try {
    // A viewer of the in-server source.
    const watch = await openPage(browser, 'ipv6', 'watch');
    await watch.goto(`${server.url}/watch/cam`);
    const frames = () => watch.evaluate(() => window.onair.stats.framesDecoded || 0);
    const playing = await waitFor(async () => (await frames()) > 60, 20000);
    check(playing, 'the watch page decodes video over IPv6', await frames());
    const pair = await selectedPair(watch, 'onair.pc');
    check(pair?.remote === '::1' && pair?.remotePort === server.mediaPort && pair?.protocol === 'udp' &&
          pair?.state === 'succeeded',
          'the viewer\'s selected pair is UDP to the server\'s [::1] candidate', pair);

    // A publisher through the publish page, watched by a second viewer, all over ::1.
    const publish = await openPage(browser, 'ipv6', 'publish');
    await publish.goto(`${server.url}/publish/six`);
    await publish.click('#go');
    const watch2 = await openPage(browser, 'ipv6', 'watch2');
    await watch2.goto(`${server.url}/watch/six`);
    const frames2 = () => watch2.evaluate(() => window.onair.stats.framesDecoded || 0);
    const relayed = await waitFor(async () => (await frames2()) > 30, 25000);
    check(relayed, 'a camera published over IPv6 is relayed to an IPv6 viewer', await frames2());
    const pair2 = await selectedPair(watch2, 'onair.pc');
    check(pair2?.remote === '::1', 'that viewer\'s pair is IPv6 too', pair2);
    for (const [label, page] of [['watch', watch], ['publish', publish], ['watch2', watch2]]) {
        check(page.problems.length === 0, `${label} page: no console errors`, page.problems);
    }
} catch (error) {
    fail('IPv6 scenario', error);
} finally {
    await browser.close();
    const problems = await server.stop();
    check(problems.length === 0, 'the server ran and stopped cleanly', problems.join('; '));
}
done();
