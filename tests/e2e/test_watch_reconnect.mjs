// test_watch_reconnect: the watch page recovers by itself when the server goes away and comes
// back (a restart on the same ports): it reconnects with backoff, without a reload, and plays
// again once a publisher is back.
import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { check, done, fail, note, sleep, waitFor } from './lib/tap.mjs';

const TEST = 'watch_reconnect';
const NAME = `again-${process.pid}`;

const watcher = (page) => page.evaluate(() => ({
    state: window.onair.state,
    connects: window.onair.connects,
    framesDecoded: window.onair.stats.framesDecoded || 0,
    sameDocument: window.marker === 'still here',
    error: document.getElementById('error').textContent,
}));

async function waitForPlaying(page, timeoutMs) {
    let seen;
    await waitFor(async () => {
        seen = await watcher(page);
        return seen.state === 'playing' && seen.framesDecoded > 10;
    }, timeoutMs);
    return seen;
}

async function run(browser, servers) {
    const first = servers[0];
    const publisher = await openPage(browser, TEST, 'publisher');
    await publisher.goto(`${first.url}/publish/${NAME}`);
    await publisher.evaluate(() => window.onair.start());
    const viewer = await openPage(browser, TEST, 'viewer');
    await viewer.goto(`${first.url}/watch/${NAME}`);
    await viewer.evaluate(() => (window.marker = 'still here'));
    let seen = await waitForPlaying(viewer, 15000);
    check(seen.state === 'playing', 'the viewer plays before the restart', seen);

    const problems = await first.stop();
    check(problems.length === 0, 'the first server stopped cleanly', problems);
    seen = await waitFor(async () => {
        const s = await watcher(viewer);
        return s.state === 'reconnecting' && s;
    }, 15000);
    check(seen?.state === 'reconnecting', 'the viewer notices the server is gone and says it reconnects',
        await watcher(viewer));
    await sleep(3000); // a few refused attempts while the server is down

    const second = await startServer(TEST, { port: first.port, mediaPort: first.mediaPort, logName: `${TEST}-restarted` });
    servers.push(second);
    note(`restarted server ${second.url} pid ${second.pid}, log ${second.logPath}`);
    // The publish page does not reconnect by itself: its user presses "Go live" again.
    await publisher.evaluate(() => window.onair.stop());
    await publisher.evaluate(() => window.onair.start());
    seen = await waitForPlaying(viewer, 30000);
    check(seen.state === 'playing' && seen.framesDecoded > 10, 'the viewer plays again after the restart', seen);
    check(seen.connects > 1 && seen.sameDocument, 'it did so by reconnecting, without a reload', seen);
    const unexpected = viewer.problems.filter((p) => !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(p));
    check(unexpected.length === 0, 'the viewer page logged no unexpected errors', unexpected);
}

const servers = [];
let browser;
try {
    servers.push(await startServer(TEST));
    note(`server ${servers[0].url} pid ${servers[0].pid}, log ${servers[0].logPath}`);
    browser = await launchBrowser();
    await run(browser, servers);
} catch (error) {
    fail('the test ran to its end', error);
} finally {
    await browser?.close().catch(() => {});
    for (const [index, server] of servers.entries()) {
        if (server.stopped()) continue;
        const problems = await server.stop();
        const which = index ? 'the restarted server' : 'the server';
        check(problems.length === 0, `${which} ran and stopped cleanly`, problems);
    }
    done();
}
